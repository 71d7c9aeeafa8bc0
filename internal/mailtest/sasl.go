package mailtest

import "strings"

// xoauth2Mechanism is Google's SASL mechanism for OAuth 2.0 bearer tokens
// (developers.google.com/gmail/imap/xoauth2-protocol).
const xoauth2Mechanism = "XOAUTH2"

// xoauth2Server is the server side of XOAUTH2 as Gmail behaves: one client
// message "user=U\x01auth=Bearer T\x01\x01"; on a bad token a JSON error
// challenge, then failErr after the client's empty answer.
type xoauth2Server struct {
	check   func(user, token string) bool
	failErr error
	failed  bool
}

func (x *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if x.failed {
		return nil, true, x.failErr
	}
	if resp == nil {
		return []byte{}, false, nil // ask for the initial response
	}
	fields := strings.Split(string(resp), "\x01")
	var user, token string
	for _, f := range fields {
		if v, ok := strings.CutPrefix(f, "user="); ok {
			user = v
		}
		if v, ok := strings.CutPrefix(f, "auth=Bearer "); ok {
			token = v
		}
	}
	if len(fields) != 4 || fields[2] != "" || fields[3] != "" || !x.check(user, token) {
		x.failed = true
		return []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`), false, nil
	}
	return nil, true, nil
}
