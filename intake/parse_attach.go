package intake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"

	"ticketd/ticket"
)

// attachments collects enmime's attachments, inline parts that are not the
// body, and other leaf parts (forwarded message/rfc822, images in
// multipart/related without disposition, DSN reports, signatures): nothing
// a customer sent is silently dropped.
func (p *parseState) attachments(env *enmime.Envelope) {
	seen := map[*enmime.Part]bool{}
	var parts []*enmime.Part
	add := func(list []*enmime.Part, skipBody bool) {
		for _, part := range list {
			if part == nil || seen[part] {
				continue
			}
			if skipBody && isBodyPart(part) {
				continue
			}
			seen[part] = true
			parts = append(parts, part)
		}
	}
	add(env.Attachments, false)
	add(env.Inlines, true)
	add(env.OtherParts, true)

	if len(parts) > p.lim.MaxAttachments {
		p.errorf("%d attachments, more than the limit of %d; kept the first %d", len(parts), p.lim.MaxAttachments, p.lim.MaxAttachments)
		parts = parts[:p.lim.MaxAttachments]
	}
	used := map[string]bool{}
	for i, part := range parts {
		ctype := strings.ToLower(strings.TrimSpace(part.ContentType))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		name := SanitizeFileName(part.FileName, ctype, i+1)
		if used[name] {
			// Two parts with the same name would overwrite each other when
			// saved; keep both.
			name = SanitizeFileName(dedupeName(name, i+1), ctype, i+1)
		}
		used[name] = true
		content := bytes.Clone(part.Content)
		if content == nil {
			content = []byte{}
		}
		sum := sha256.Sum256(content)
		p.m.Attachments = append(p.m.Attachments, ticket.Attachment{
			Name:        name,
			ContentType: ctype,
			Size:        int64(len(content)),
			SHA256:      hex.EncodeToString(sum[:]),
			Inline:      part.Disposition == "inline" || (part.Disposition == "" && part.ContentID != ""),
			Content:     content,
		})
	}
}

// isBodyPart reports whether an inline part is the text or HTML body that
// enmime already put into Text or HTML.
func isBodyPart(part *enmime.Part) bool {
	if part.FileName != "" || part.Disposition == "attachment" {
		return false
	}
	ct := strings.ToLower(part.ContentType)
	return ct == "text/plain" || ct == "text/html" || ct == "" || strings.HasPrefix(ct, "multipart/")
}

func dedupeName(name string, n int) string {
	ext := ""
	if dot := strings.LastIndexByte(name, '.'); dot > 0 {
		name, ext = name[:dot], name[dot:]
	}
	return fmt.Sprintf("%s-%d%s", name, n, ext)
}

// SanitizeFileName makes an attachment name safe to show and to save: only
// the last path element is kept (no "../../etc/passwd"), control and
// bidirectional-override characters are removed, leading dots and spaces
// are trimmed, and the result is at most 200 bytes with its extension kept.
// An empty result becomes "attachment-N.ext" with the extension taken from
// contentType.
func SanitizeFileName(name, contentType string, n int) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r): // Cf: U+202E and friends
			return -1
		case r == ':' || r == '*' || r == '?' || r == '"' || r == '<' || r == '>' || r == '|':
			return '_' // reserved on Windows, where admins may save files
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.TrimLeft(name, ". ")
	name = strings.TrimRight(name, ". ")
	if len(name) > maxAttachmentName {
		ext := ""
		if dot := strings.LastIndexByte(name, '.'); dot > 0 && len(name)-dot <= 16 {
			ext = name[dot:]
		}
		name = truncateUTF8(name[:len(name)-len(ext)], maxAttachmentName-len(ext)) + ext
	}
	if name == "" {
		name = fmt.Sprintf("attachment-%d%s", n, extensionFor(contentType))
	}
	return name
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// commonExtensions is consulted before the system MIME table so names do
// not depend on the host's /etc/mime.types.
var commonExtensions = map[string]string{
	"application/pdf":                  ".pdf",
	"application/zip":                  ".zip",
	"application/gzip":                 ".gz",
	"application/json":                 ".json",
	"application/xml":                  ".xml",
	"application/octet-stream":         ".bin",
	"application/pgp-signature":        ".asc",
	"application/pkcs7-signature":      ".p7s",
	"message/rfc822":                   ".eml",
	"message/delivery-status":          ".txt",
	"message/disposition-notification": ".txt",
	"text/rfc822-headers":              ".txt",
	"text/plain":                       ".txt",
	"text/html":                        ".html",
	"text/csv":                         ".csv",
	"text/calendar":                    ".ics",
	"image/png":                        ".png",
	"image/jpeg":                       ".jpg",
	"image/gif":                        ".gif",
	"image/webp":                       ".webp",
	"image/svg+xml":                    ".svg",
}

func extensionFor(contentType string) string {
	if ext, ok := commonExtensions[contentType]; ok {
		return ext
	}
	if exts, err := mime.ExtensionsByType(contentType); err == nil && len(exts) > 0 {
		return exts[0]
	}
	return ".bin"
}
