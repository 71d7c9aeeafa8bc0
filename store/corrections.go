package store

import (
	"fmt"
	"time"

	"ticketd/ticket"
)

// LevelCorrection is an engineer's verdict on the level the classifier
// assessed for a ticket: a correction ("#level P1") or, with Corrected
// equal to Assessed, a confirmation (the ticket closed uncorrected).
type LevelCorrection struct {
	TicketID  int64
	At        time.Time
	Actor     string
	Assessed  ticket.Level
	Corrected ticket.Level
	Factors   string // the assessed factors, in classify.Factors' String form
}

// AddLevelCorrection records c, at the transaction's time.
func (tx *Tx) AddLevelCorrection(c LevelCorrection) error {
	_, err := tx.exec(`INSERT INTO level_corrections (ticket_id, at, actor, assessed, corrected, factors) VALUES (?, ?, ?, ?, ?, ?)`,
		c.TicketID, tx.Now.Format(TimeFormat), c.Actor, string(c.Assessed), string(c.Corrected), c.Factors)
	if err != nil {
		return fmt.Errorf("record level correction of ticket %d: %w", c.TicketID, err)
	}
	return nil
}

// HasLevelCorrection reports whether ticketID has a correction or
// confirmation recorded.
func (tx *Tx) HasLevelCorrection(ticketID int64) (bool, error) {
	var n int
	if err := tx.queryRow(`SELECT COUNT(*) FROM level_corrections WHERE ticket_id = ?`, ticketID).Scan(&n); err != nil {
		return false, fmt.Errorf("level corrections of ticket %d: %w", ticketID, err)
	}
	return n > 0, nil
}

// LevelCorrections lists corrections and confirmations recorded at or
// after since, oldest first.
func (tx *Tx) LevelCorrections(since time.Time) ([]LevelCorrection, error) {
	rows, err := tx.query(`SELECT ticket_id, at, actor, assessed, corrected, factors FROM level_corrections WHERE at >= ? ORDER BY at, id`,
		since.UTC().Format(TimeFormat))
	if err != nil {
		return nil, fmt.Errorf("list level corrections: %w", err)
	}
	defer rows.Close()
	var out []LevelCorrection
	for rows.Next() {
		var c LevelCorrection
		var at, assessed, corrected string
		if err := rows.Scan(&c.TicketID, &at, &c.Actor, &assessed, &corrected, &c.Factors); err != nil {
			return nil, fmt.Errorf("list level corrections: %w", err)
		}
		c.At, _ = time.Parse(TimeFormat, at)
		c.Assessed, c.Corrected = ticket.Level(assessed), ticket.Level(corrected)
		out = append(out, c)
	}
	return out, rows.Err()
}
