package daemon

import (
	"mime"
	"ticketd/intake"
	"ticketd/ticket"
)

func intakeFetched(mailbox string, uidValidity, uid uint32, raw []byte) ticket.Fetched {
	return ticket.Fetched{Mailbox: mailbox, UIDValidity: uidValidity, UID: uid, MessageID: intake.HeaderMessageID(raw), Raw: raw, Size: int64(len(raw))}
}

type mimeWordDecoder struct{ mime.WordDecoder }
