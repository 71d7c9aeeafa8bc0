package daemon

import (
	"mime"

	"ticketd/intake"
)

func intakeFetched(mailbox string, uidValidity, uid uint32, raw []byte) intake.Fetched {
	return intake.Fetched{Mailbox: mailbox, UIDValidity: uidValidity, UID: uid, Raw: raw, Size: int64(len(raw))}
}

type mimeWordDecoder struct{ mime.WordDecoder }
