package intake

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

func BenchmarkParse(b *testing.B) {
	typical, err := os.ReadFile(filepath.Join(goldenDir, "gmail-reply.eml"))
	if err != nil {
		b.Fatal(err)
	}
	// Pad the typical reply to about 5 KB of quoted history.
	var t bytes.Buffer
	t.Write(typical)
	for t.Len() < 5*1024 {
		t.WriteString("> Earlier in this thread we discussed the license server and its clock.\r\n")
	}

	payload := make([]byte, 1<<20)
	rand.New(rand.NewSource(1)).Read(payload)
	enc := base64.StdEncoding.EncodeToString(payload)
	var big bytes.Buffer
	big.WriteString("From: a@b.example\r\nTo: support@example.com\r\nSubject: dump\r\nMessage-ID: <big@b.example>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\ncore dump attached\r\n" +
		"--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=core.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for i := 0; i < len(enc); i += 76 {
		fmt.Fprintf(&big, "%s\r\n", enc[i:min(i+76, len(enc))])
	}
	big.WriteString("--B--\r\n")

	for _, bc := range []struct {
		name string
		raw  []byte
	}{{"typical_5KB", t.Bytes()}, {"attachment_1MB", big.Bytes()}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.raw)))
			b.ReportAllocs()
			for b.Loop() {
				if m := Parse(bc.raw); len(m.ParseErrors) > 0 {
					b.Fatalf("unexpected parse errors: %q", m.ParseErrors)
				}
			}
		})
	}
}
