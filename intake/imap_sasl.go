package intake

import (
	"errors"

	"github.com/emersion/go-sasl"
)

// xoauth2Mechanism is Google's and Microsoft's pre-standard OAuth SASL
// mechanism (https://developers.google.com/gmail/imap/xoauth2-protocol).
const xoauth2Mechanism = "XOAUTH2"

// xoauth2Client implements sasl.Client for XOAUTH2. go-sasl only ships the
// standard OAUTHBEARER (RFC 7628), but Gmail and Microsoft 365 mostly speak
// XOAUTH2.
type xoauth2Client struct {
	username, token string
	failed          bool
}

// newXOAUTH2Client returns a SASL client that sends username and an OAuth 2.0
// bearer token as the XOAUTH2 initial response.
func newXOAUTH2Client(username, token string) sasl.Client {
	return &xoauth2Client{username: username, token: token}
}

// Start returns the initial response:
// "user=" user ^A "auth=Bearer " token ^A ^A.
func (c *xoauth2Client) Start() (mech string, ir []byte, err error) {
	return xoauth2Mechanism, []byte("user=" + c.username + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

// Next answers a server challenge. After a failed token the server sends a
// base64 JSON error as a challenge and expects an empty response, after which
// it finishes with a tagged NO; anything beyond that is a protocol error.
func (c *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	if c.failed {
		return nil, errors.New("xoauth2: unexpected second server challenge")
	}
	c.failed = true
	return []byte{}, nil
}

// oauthBearerClient wraps go-sasl's OAUTHBEARER client (RFC 7628). go-sasl
// returns the server's error challenge as an error, which would abandon the
// exchange half-way; RFC 7628 §3.2.3 wants the client to answer it with a
// single %x01 so the server can finish with a tagged NO, which Run then
// recognises as an authentication failure.
type oauthBearerClient struct {
	sasl.Client
	serverErr error
}

// newOAuthBearerClient returns an OAUTHBEARER SASL client.
func newOAuthBearerClient(opts *sasl.OAuthBearerOptions) *oauthBearerClient {
	return &oauthBearerClient{Client: sasl.NewOAuthBearerClient(opts)}
}

// Next acknowledges the server's error challenge with %x01, once.
func (c *oauthBearerClient) Next(challenge []byte) ([]byte, error) {
	if c.serverErr != nil {
		return nil, errors.New("oauthbearer: unexpected second server challenge")
	}
	_, err := c.Client.Next(challenge)
	if err == nil {
		err = errors.New("oauthbearer: server sent a challenge")
	}
	c.serverErr = err
	return []byte{0x01}, nil
}
