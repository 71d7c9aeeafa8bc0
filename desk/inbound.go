package desk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"

	"ticketd/classify"
	"ticketd/intake"
	"ticketd/store"
	"ticketd/templates"
	"ticketd/ticket"
)

// inbound is one mail on its way through the pipeline.
type inbound struct {
	raw       *store.RawMessage
	msg       *ticket.Message
	automated string // why it is automated mail, "" when a person wrote it
	sender    classify.SenderResult
	log       *slog.Logger

	// severity is classified before the write transaction (it is the
	// costliest step and must not hold SQLite's single writer), for the
	// plan and the threading (new ticket or follow-up) it was computed
	// with.
	severity     *classify.Result
	severityPlan string
	severityUp   bool
	// created is the level of the ticket this mail opened, for metrics
	// counted once the transaction committed.
	created ticket.Level
}

// classifySeverity returns the mail's severity under plan's labels, as a
// new ticket or as a follow-up (judged on its new text only), computing it
// once per combination.
func (d *Desk) classifySeverity(in *inbound, plan string, followUp bool) classify.Result {
	if in.severity == nil || in.severityPlan != plan || in.severityUp != followUp {
		r := d.engine().Classify(classify.Input{Subject: in.msg.Subject, Body: in.msg.NewText, Forwarded: in.msg.Forwarded, Header: in.msg.Header,
			PlanLabels: d.planLabels(plan), FollowUp: followUp})
		in.severity, in.severityPlan, in.severityUp = &r, plan, followUp
	}
	return *in.severity
}

// levelInfo adds what the classifier said of in to the template data of
// its ticket's level: uncertainty, confidence, the customer's declared
// level and the other candidates.
func levelInfo(li templates.LevelInfo, sev *classify.Result) templates.LevelInfo {
	if sev == nil {
		return li
	}
	li.Uncertain, li.Confidence = sev.Uncertain, classify.ConfidenceLabel(sev.Confidence)
	if sev.Declared != "" {
		li.Declared = string(sev.Declared)
	}
	if sev.Uncertain {
		for _, c := range sev.Candidates {
			if string(c) != li.Code {
				li.Candidates = append(li.Candidates, string(c))
			}
		}
	}
	return li
}

func (in *inbound) from() mail.Address {
	if in.msg.From == nil {
		return mail.Address{}
	}
	return mail.Address{Name: in.msg.From.Name, Address: ticket.NormalizeAddress(in.msg.From.Address)}
}

// Batches: up to this many stored mails, or this many raw bytes, are
// processed in one write transaction. One commit per batch instead of per
// mail is most of the throughput from a backlog (SQLite has one writer).
const (
	batchMails = 100
	batchBytes = 8 << 20
)

// processPending processes every stored mail the pipeline has not finished,
// oldest first, in batches. It returns how many it processed.
func (d *Desk) ProcessPending(ctx context.Context) (int, error) {
	n := 0
	for {
		var ids []int64
		if err := d.db.View(ctx, func(tx *store.Tx) (err error) { ids, err = tx.UnprocessedRaw(batchMails); return err }); err != nil {
			return n, err
		}
		if len(ids) == 0 {
			return n, nil
		}
		for len(ids) > 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
			batch, rest, err := d.prepareBatch(ctx, ids)
			if err != nil {
				return n, err
			}
			ids = rest
			if err := d.processBatch(ctx, batch); err != nil {
				return n, err
			}
			n += len(batch)
		}
	}
}

// prepareBatch loads and prepares stored mails from ids until the byte
// budget is spent (always at least one), in one read transaction: a read
// transaction per mail costs more in file locking than the reads.
func (d *Desk) prepareBatch(ctx context.Context, ids []int64) ([]*inbound, []int64, error) {
	var batch []*inbound
	var size int64
	err := d.db.View(ctx, func(tx *store.Tx) error {
		for len(ids) > 0 && (len(batch) == 0 || size < batchBytes) {
			in, err := d.prepareIn(ctx, tx, ids[0])
			if err != nil {
				return err
			}
			batch, ids, size = append(batch, in), ids[1:], size+in.raw.Size
		}
		return nil
	})
	return batch, ids, err
}

// prepareIn reads a stored mail in tx and prepares it, parsing straight
// from the database's buffer unless intake handed it over parsed.
func (d *Desk) prepareIn(ctx context.Context, tx *store.Tx, id int64) (*inbound, error) {
	raw, err := tx.RawMeta(id)
	if err != nil {
		return nil, err
	}
	var msg *ticket.Message
	if err := tx.WithRawData(id, func(data []byte) error { msg = d.parse(data); return nil }); err != nil {
		return nil, err
	}
	return d.prepare(ctx, raw, msg, tx)
}

func (d *Desk) parse(data []byte) *ticket.Message {
	return intake.ParseWithLimits(data, d.cfg.ParseLimits)
}

// prepare does the work that needs no write lock: parse, RFC 3834
// detection, sender verification and severity.
func (d *Desk) prepare(ctx context.Context, raw *store.RawMessage, msg *ticket.Message, dir classify.Directory) (*inbound, error) {
	in := &inbound{raw: raw, msg: msg, log: d.log.With("raw_id", raw.ID, "uid", raw.UID)}
	if raw.Truncated {
		in.msg.ParseErrors = append(in.msg.ParseErrors, fmt.Sprintf("message is %d bytes, over limits.max_message_bytes (%d): only its beginning was stored", raw.Size, d.cfg.MaxMessageBytes))
	}
	in.log = in.log.With("message_id", in.msg.MessageID, "from", in.msg.FromAddress())
	if reason, ok := intake.Automated(in.msg, d.addresses()...); ok {
		in.automated = reason
	}
	sender, err := classify.VerifySender(ctx, in.msg, dir, d.senderPolicy)
	if err != nil {
		return nil, fmt.Errorf("verify sender of raw message %d: %w", raw.ID, err)
	}
	in.sender = sender
	if sender.Customer != nil && sender.Outcome == ticket.SenderContact {
		d.classifySeverity(in, d.planFor(d.inbox(raw.Inbox), sender.Customer), false)
	}
	// Attachment contents are only needed to relay an engineer's files;
	// the raw bytes stay in the database for everything else.
	if sender.Outcome != ticket.SenderStaff {
		for i := range in.msg.Attachments {
			in.msg.Attachments[i].Content = nil
		}
	}
	return in, nil
}

// processBatch writes what a batch of prepared mails cause in one
// transaction. If that fails, each mail is processed on its own, so one
// bad mail is quarantined without holding up the others.
func (d *Desk) processBatch(ctx context.Context, batch []*inbound) error {
	outcomes := make([]ticket.Outcome, len(batch))
	err := d.db.Update(ctx, func(tx *store.Tx) error {
		for i, in := range batch {
			in.created = ""
			o, err := d.handle(tx, in)
			if err != nil {
				return fmt.Errorf("raw message %d: %w", in.raw.ID, err)
			}
			outcomes[i] = o
			if err := tx.MarkRawProcessed(in.raw.ID, o, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		for i, in := range batch {
			d.processed(in, outcomes[i])
		}
		d.wakeOutbox()
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if store.IsBusy(err) {
		// The write lock stayed taken (another process, a long write):
		// nothing was decided. The mails stay unprocessed and the loop
		// tries again; a lock timeout must never quarantine a mail.
		return fmt.Errorf("process %d stored mails: %w", len(batch), err)
	}
	if len(batch) > 1 {
		d.log.Warn("batch failed; processing its mails one by one", "mails", len(batch), "err", err)
	}
	for _, in := range batch {
		if err := d.processOne(ctx, in); err != nil {
			return err
		}
	}
	return nil
}

func (d *Desk) processed(in *inbound, outcome ticket.Outcome) {
	in.log.Info("mail processed", "outcome", outcome, "sender", in.sender.Outcome, "automated", in.automated)
	d.obs.Processed(outcome, in.sender.Outcome)
	if in.created != "" {
		d.obs.TicketCreated(in.created)
	}
}

// processOne writes one prepared mail's consequences in one transaction.
// A mail that cannot be processed is quarantined with the reason (never
// dropped); only when even that cannot be written (database locked or
// full) does it return an error, leaving the mail unprocessed to be tried
// again.
func (d *Desk) processOne(ctx context.Context, in *inbound) error {
	var outcome ticket.Outcome
	err := d.db.Update(ctx, func(tx *store.Tx) error {
		in.created = ""
		var err error
		if outcome, err = d.handle(tx, in); err != nil {
			return err
		}
		return tx.MarkRawProcessed(in.raw.ID, outcome, "")
	})
	if err == nil {
		d.processed(in, outcome)
		d.wakeOutbox()
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if store.IsBusy(err) {
		return fmt.Errorf("process raw message %d: %w", in.raw.ID, err)
	}
	// Processing failed: keep the mail visible to admins rather than retry
	// a deterministic failure forever.
	in.log.Error("mail could not be processed; quarantining it", "err", err)
	procErr := err
	qerr := d.db.Update(ctx, func(tx *store.Tx) error {
		row, err := d.storeInbound(tx, in, 0, ticket.KindCustomer)
		if err != nil {
			return err
		}
		if _, err := tx.Quarantine(row, string(ticket.OutcomeError), "processing failed: "+procErr.Error()); err != nil {
			return err
		}
		return tx.MarkRawProcessed(in.raw.ID, ticket.OutcomeError, procErr.Error())
	})
	if qerr != nil {
		return fmt.Errorf("process raw message %d: %w (and could not quarantine it: %v)", in.raw.ID, procErr, qerr)
	}
	d.obs.Processed(ticket.OutcomeError, in.sender.Outcome)
	return nil
}

// handle gathers the facts about a mail, decides what it does
// (decideInbound) and applies that in tx.
func (d *Desk) handle(tx *store.Tx, in *inbound) (ticket.Outcome, error) {
	f := inboundFacts{Sender: in.sender.Outcome, Authenticated: in.sender.Auth.Pass, Now: tx.Now, ReopenDays: d.cfg.ReopenDays,
		StatusRequest: isStatusRequest(in.msg.Subject)}
	if in.sender.Customer != nil {
		f.SenderCustomer = in.sender.Customer.ID
	}
	if in.msg.MessageID != "" {
		prev, err := tx.InboundByMessageID(in.msg.MessageID)
		if err == nil {
			in.log.Info("mail already processed under another UID", "message_row", prev.ID)
			f.AlreadyProcessed = true
		} else if !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
	}
	if !f.AlreadyProcessed && f.Sender != ticket.SenderSpoofed {
		var err error
		if f.Candidates, err = d.threadCandidates(tx, in.msg); err != nil {
			return "", err
		}
	}
	dec := decideInbound(f)
	return dec.Action.outcome(), d.apply(tx, in, dec)
}

// apply writes what dec says of in.
func (d *Desk) apply(tx *store.Tx, in *inbound, dec inboundDecision) error {
	for _, r := range dec.Refused {
		in.log.Warn("mail names a ticket its sender may not join; not threading it there",
			"ticket", r.Ticket.Number, "threaded_by", r.Via, "reason", r.Why)
		if err := tx.AddEvent(r.Ticket.ID, in.from().Address, "thread-refused",
			fmt.Sprintf("a mail from %s (%s) named this ticket by %s and was not added: %s",
				in.from().Address, customerName(in.sender.Customer), r.Via, r.Why)); err != nil {
			return err
		}
	}
	if t := dec.Ticket; t != nil {
		in.log = in.log.With("ticket", t.Number, "threaded_by", dec.Via)
	}
	switch dec.Action {
	case actDuplicate:
		return nil
	case actQuarantineSpoofed:
		return d.quarantineSpoofed(tx, in)
	case actQuarantineUnknown:
		return d.quarantineUnknown(tx, in)
	case actStaffUnmatched:
		return d.staffUnmatched(tx, in, nil)
	case actStaffNote:
		return d.staffUnmatched(tx, in, dec.Ticket)
	case actEngineerReply:
		return d.engineerReply(tx, in, dec.Ticket)
	case actFollowUp:
		return d.followUp(tx, in, dec.Ticket)
	case actStatusRequest:
		return d.answerStatus(tx, in)
	default:
		_, err := d.newTicket(tx, in, dec.Previous)
		return err
	}
}

var subjectTag = regexp.MustCompile(`\[Ticket#(\d{1,18})\]`)

// threadCandidate is a ticket a mail names, and how it names it.
type threadCandidate struct {
	ticket *ticket.Ticket
	via    string
}

// maxThreadCandidates bounds the tickets one mail's References may name.
const maxThreadCandidates = 5

// threadCandidates lists the tickets m names (DESIGN: Threads), strongest
// first: our signed tokens in a plus-address or in a Message-ID it replies
// to (staff tokens before customer ones), then In-Reply-To and References
// against every stored Message-ID, then the subject tag. Unverifiable
// tokens and unknown numbers are skipped.
func (d *Desk) threadCandidates(tx *store.Tx, m *ticket.Message) ([]threadCandidate, error) {
	var tokens []string
	for _, a := range append(append([]*mail.Address{}, m.To...), m.Cc...) {
		if a == nil {
			continue
		}
		for _, in := range d.inboxes {
			if tok, ok := ticket.TokenFromAddress(in.Address, a.Address); ok {
				tokens = append(tokens, tok)
			}
		}
	}
	ids := append(append([]string{}, m.InReplyTo...), m.References...)
	for _, id := range ids {
		if tok, ok := ticket.TokenFromMessageID(id); ok {
			tokens = append(tokens, tok)
		}
	}
	var out []threadCandidate
	seen := map[int64]string{}
	add := func(t *ticket.Ticket, via string) {
		if prev, ok := seen[t.ID]; ok && (prev == viaStaffToken || via != viaStaffToken) {
			return
		}
		seen[t.ID] = via
		out = append(out, threadCandidate{t, via})
	}
	byNumber := func(n int64, via string) error {
		t, err := tx.TicketByNumber(n)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		add(t, via)
		return nil
	}
	for _, role := range []ticket.TokenRole{ticket.TokenStaff, ticket.TokenCustomer} {
		for _, tok := range tokens {
			n, r, ok := ticket.VerifyTokenRole(d.tokenKey, tok)
			if !ok || r != role {
				continue
			}
			via := viaToken
			if r == ticket.TokenStaff {
				via = viaStaffToken
			}
			if err := byNumber(n, via); err != nil {
				return nil, err
			}
		}
	}
	ts, err := tx.TicketsByMessageIDs(ids, maxThreadCandidates)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		add(t, viaReferences)
	}
	if sm := subjectTag.FindStringSubmatch(m.Subject); sm != nil {
		n, _ := strconv.ParseInt(sm[1], 10, 64)
		if err := byNumber(n, viaSubject); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func customerName(c *ticket.Customer) string {
	if c == nil {
		return "no customer"
	}
	return c.Name
}

// storeInbound stores the parsed mail as a message row of ticketID (0 while
// quarantined) and returns the row id.
func (d *Desk) storeInbound(tx *store.Tx, in *inbound, ticketID int64, kind ticket.MessageKind) (int64, error) {
	m := in.msg
	sm := &store.Message{
		RawID: in.raw.ID, TicketID: ticketID, Direction: store.Inbound, Kind: kind,
		MessageID: m.MessageID, References: m.References,
		Subject: m.Subject, Date: m.Date, Body: m.Text, NewText: m.NewText,
		SenderOutcome: string(in.sender.Outcome), SenderReason: in.sender.Reason, Automated: in.automated,
		Malformed: len(m.ParseErrors) > 0, ParseErrors: m.ParseErrors, Attachments: m.Attachments,
	}
	if sm.MessageID == "" {
		// A stable stand-in, so the row is addressable and dedup holds.
		sm.MessageID = fmt.Sprintf("raw.%d.sha256.%s@ticketd.invalid", in.raw.ID, in.raw.SHA256[:16])
	}
	if len(m.InReplyTo) > 0 {
		sm.InReplyTo = m.InReplyTo[0]
	}
	if f := in.from(); f.Address != "" {
		sm.FromAddr, sm.FromName = f.Address, f.Name
	}
	for _, a := range m.To {
		if a != nil {
			sm.To = append(sm.To, a.Address)
		}
	}
	for _, a := range m.Cc {
		if a != nil {
			sm.Cc = append(sm.Cc, a.Address)
		}
	}
	if err := tx.AddMessage(sm); err != nil {
		return 0, err
	}
	return sm.ID, nil
}

// ticketContext is what templates and SLA need to know about a ticket's
// customer side.
type ticketContext struct {
	customer *ticket.Customer
	contact  *ticket.Contact // the requester, when a contact
	zone     string          // SLA zone: the primary contact's
	region   string
	lang     string
}

func (d *Desk) contextFor(tx *store.Tx, t *ticket.Ticket) (*ticketContext, error) {
	tc := &ticketContext{zone: t.SLAZone, region: t.SLARegion, lang: t.Language}
	if t.CustomerID != 0 {
		cu, err := tx.CustomerByID(t.CustomerID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		tc.customer = cu
	}
	if t.ContactID != 0 {
		c, err := tx.ContactByID(t.ContactID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		tc.contact = c
	}
	return tc, nil
}

// newTicket opens a ticket for a contact's mail: severity, SLA due time,
// acknowledgement, engineer alert and reminder schedule, all in tx.
// previous is the number of the closed ticket this one continues, or 0.
func (d *Desk) newTicket(tx *store.Tx, in *inbound, previous int64) (*ticket.Ticket, error) {
	contact, customer := in.sender.Contact, in.sender.Customer
	zone, region := contact.TZ, customer.Region
	if primary, err := tx.PrimaryContact(customer.ID); err == nil {
		zone = primary.TZ
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	inbox := d.inbox(in.raw.Inbox)
	plan := d.planFor(inbox, customer)
	sev := d.classifySeverity(in, plan, false)
	from := in.from()
	// The inbox's language (a German desk) comes after what the contact
	// and customer chose, before guessing from the text.
	lang := templates.ChooseLanguage(contact.Language, firstNonEmpty(customer.Language, inbox.Language), in.msg.NewText, d.cfg.DefaultLanguage)
	subject := strings.TrimSpace(subjectTag.ReplaceAllString(in.msg.Subject, ""))
	if subject == "" {
		subject = "(no subject)"
	}
	now := tx.Now
	t := &ticket.Ticket{
		Subject: subject, Status: ticket.StatusNew, Requester: from.Address, RequesterName: from.Name,
		CustomerID: customer.ID, ContactID: contact.ID, Plan: plan, Language: lang,
		SLAZone: zone, SLARegion: region, SLAStartedAt: &now, PreviousNumber: previous, Inbox: inbox.Name,
	}
	if err := d.applyLevel(tx, t, sev.Level, sev.Declared, reasonStrings(sev.Reasons)); err != nil {
		return nil, err
	}
	t.AssessedLevel, t.AssessedFactors, t.LevelUncertain = sev.Level, sev.Factors.String(), sev.Uncertain
	if err := tx.CreateTicket(t); err != nil {
		return nil, err
	}
	if _, err := d.storeInbound(tx, in, t.ID, ticket.KindCustomer); err != nil {
		return nil, err
	}
	if previous != 0 {
		if err := tx.AddEvent(t.ID, "ticketd", "continues", fmt.Sprintf("follow-up to closed ticket #%d", previous)); err != nil {
			return nil, err
		}
	}
	// The event records the level and the reason that decided it; every
	// reason stays on the ticket (level_reasons, "tickets show"), so the
	// event does not store them twice.
	decided := ""
	if len(t.LevelReasons) > 0 {
		decided = t.LevelReasons[0]
	}
	if err := tx.AddEvent(t.ID, "ticketd", "level", fmt.Sprintf("%s: %s", t.Level, decided)); err != nil {
		return nil, err
	}
	if err := d.scheduleReminders(tx, t); err != nil {
		return nil, err
	}
	in.log = in.log.With("ticket", t.Number)
	tc := &ticketContext{customer: customer, contact: contact, zone: zone, region: region, lang: lang}
	if err := d.acknowledge(tx, in, t, tc, templates.Ack); err != nil {
		return nil, err
	}
	if err := d.alert(tx, in, t, tc, false); err != nil {
		return nil, err
	}
	in.created = t.Level
	return t, nil
}

// applyLevel sets t's level and recomputes its due times from the SLA start.
func (d *Desk) applyLevel(tx *store.Tx, t *ticket.Ticket, level, declared ticket.Level, reasons []string) error {
	t.Level, t.DeclaredLevel, t.LevelReasons = level, declared, reasons
	start := tx.Now
	if t.SLAStartedAt != nil {
		start = *t.SLAStartedAt
	}
	due, err := d.plans.DueFor(t.Plan, level, start, t.SLAZone, t.SLARegion)
	if err != nil {
		// A customer on a plan or region the config no longer knows must
		// still get a ticket; the missing target is visible on it.
		log := d.log.With("plan", t.Plan, "level", level, "zone", t.SLAZone, "region", t.SLARegion)
		if t.Number != 0 { // a new ticket has no number until it is written
			log = log.With("ticket", t.Number)
		}
		log.Warn("no SLA due time", "err", err)
		t.FirstResponseDue, t.ResolutionDue = nil, nil
		return nil
	}
	// Whole seconds: due times are shown and compared (tickets list
	// --overdue --at, reports) in RFC 3339, which admins write without
	// fractions; a due time 0.9 s after the second they name would not be
	// overdue "at" it.
	t.FirstResponseDue, t.ResolutionDue = truncSecond(due.Due), truncSecond(due.ResolutionDue)
	return nil
}

// truncSecond returns t truncated to the whole second; nil stays nil.
func truncSecond(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.Truncate(time.Second)
	return &v
}

// ignoredBudget bounds the bytes of a ticket's reasons up to which the
// classifier's "ignored …" diagnostics (a cue that did not count, and
// why) are kept one by one; past it they are counted in one line. A
// ticket's bytes are budgeted (issue 13), and a long mail can have a
// dozen; `ticketd classify --json` on the stored mail shows them all.
const ignoredBudget = 512

func reasonStrings(rs []classify.Reason) []string {
	out := make([]string, 0, len(rs))
	size, dropped := 0, 0
	for _, r := range rs {
		if !strings.HasPrefix(r.Rule, "ignored:") {
			s := r.String()
			out = append(out, s)
			size += len(s)
		}
	}
	for _, r := range rs {
		if strings.HasPrefix(r.Rule, "ignored:") {
			if s := r.String(); size+len(s) <= ignoredBudget {
				out = append(out, s)
				size += len(s)
			} else {
				dropped++
			}
		}
	}
	if dropped > 0 {
		out = append(out, fmt.Sprintf("%d more cues ignored (ticketd classify --json shows which and why)", dropped))
	}
	return out
}

func (d *Desk) planLabels(plan string) map[ticket.Level]string {
	p, err := d.plans.Plan(plan)
	if err != nil {
		return nil
	}
	labels := make(map[ticket.Level]string, len(p.Levels))
	for l, lp := range p.Levels {
		labels[l] = lp.Label
	}
	return labels
}

func (d *Desk) levelLabel(plan string, l ticket.Level, lang string) string {
	if p, err := d.plans.Plan(plan); err == nil {
		if lp, ok := p.Levels[l]; ok && lp.Label != "" {
			return lp.LabelIn(lang)
		}
	}
	return string(l)
}

// baseData fills the template data every mail about t shares.
func (d *Desk) baseData(t *ticket.Ticket, tc *ticketContext, zone string) templates.Data {
	data := templates.Data{
		Zone:   zone,
		Ticket: templates.TicketInfo{Number: t.Number, Subject: t.Subject, Status: string(t.Status)},
		Level: templates.LevelInfo{Code: string(t.Level), Label: d.levelLabel(t.Plan, t.Level, ""), Reasons: t.LevelReasons,
			Declared: string(t.DeclaredLevel), Uncertain: t.LevelUncertain},
		Plan: templates.PlanInfo{Name: t.Plan},
	}
	if t.FirstResponseDue != nil {
		data.Due = templates.Due{Set: true, At: *t.FirstResponseDue}
		if p, err := d.plans.Plan(t.Plan); err == nil {
			if lp, ok := p.Levels[t.Level]; ok && lp.FirstResponse != nil {
				data.Due.Target = lp.FirstResponse.String()
			}
		}
	}
	if tc.customer != nil {
		data.Customer = templates.CustomerInfo{Name: tc.customer.Name}
	}
	if tc.contact != nil {
		data.Contact = templates.Person{Name: tc.contact.Name, Email: tc.contact.Email}
	} else {
		data.Contact = templates.Person{Name: t.RequesterName, Email: t.Requester}
	}
	return data
}

func messageInfo(in *inbound, now time.Time, followUp bool) templates.MessageInfo {
	mi := templates.MessageInfo{Subject: in.msg.Subject, Text: in.msg.NewText, FollowUp: followUp, ReceivedAt: now}
	if in.msg.From != nil {
		mi.From = (&mail.Address{Name: in.msg.From.Name, Address: in.msg.From.Address}).String()
	}
	for _, a := range in.msg.Attachments {
		mi.Attachments = append(mi.Attachments, a.Name)
	}
	return mi
}

// acknowledge sends the customer the acknowledgement of kind (ack or
// followup-ack), unless the mail is automated (RFC 3834 §2) or the sender
// hit the automatic-reply limit; a withheld acknowledgement is an event.
func (d *Desk) acknowledge(tx *store.Tx, in *inbound, t *ticket.Ticket, tc *ticketContext, kind templates.Kind) error {
	if in.automated != "" {
		in.log.Info("no acknowledgement to automated mail", "reason", in.automated)
		return tx.AddEvent(t.ID, "ticketd", "ack-withheld", "automated mail: "+in.automated)
	}
	from := in.from()
	ok, why, err := d.autoReplyAllowed(tx, from.Address, kind)
	if err != nil {
		return err
	}
	if !ok {
		in.log.Warn("acknowledgement withheld", "reason", why)
		return tx.AddEvent(t.ID, "ticketd", "ack-withheld", why)
	}
	zone := tc.zone
	if tc.contact != nil && tc.contact.TZ != "" {
		zone = tc.contact.TZ
	}
	data := d.baseData(t, tc, zone)
	if kind == templates.Ack {
		data.Level = levelInfo(data.Level, in.severity)
	}
	data.Message = messageInfo(in, tx.Now, kind == templates.FollowupAck)
	data.Message.Truncated = in.raw.Truncated
	return d.enqueue(tx, outMail{
		kind: kind, lang: t.Language, data: data, ticket: t, to: []mail.Address{from},
		auto: true, rateLimit: true, inReplyTo: in.msg.MessageID, refs: threadRefs(in.msg),
	})
}

// threadRefs is the References of a reply to m (RFC 5322 §3.6.4).
func threadRefs(m *ticket.Message) []string {
	refs := append([]string{}, m.References...)
	if len(refs) == 0 && len(m.InReplyTo) > 0 {
		refs = append(refs, m.InReplyTo[0])
	}
	if m.MessageID != "" {
		refs = append(refs, m.MessageID)
	}
	if len(refs) > 20 {
		refs = append(refs[:1], refs[len(refs)-19:]...)
	}
	return refs
}

// alert tells engineers about a new ticket or a customer follow-up, unless
// the alert is folded into a later summary (holdAlert).
func (d *Desk) alert(tx *store.Tx, in *inbound, t *ticket.Ticket, tc *ticketContext, followUp bool) error {
	var page ticket.Level
	if in.severity != nil {
		page = in.severity.PageLevel
	}
	to := alertRoute(d.routing(t, tc.customer, tx.Now), t, followUp, page)
	if len(to) == 0 {
		return nil
	}
	held, err := d.holdAlert(tx, t, in.from().Address, followUp)
	if err != nil {
		return err
	}
	if held {
		in.log.Info("alert folded into the next summary", "fold_window", d.cfg.AlertFoldWindow)
		return nil
	}
	data := d.baseData(t, tc, d.cfg.StaffZone)
	if !followUp {
		data.Level = levelInfo(data.Level, in.severity)
	}
	data.Message = messageInfo(in, tx.Now, followUp)
	return d.enqueue(tx, outMail{
		kind: templates.Alert, lang: d.cfg.DefaultLanguage, data: data, ticket: t, to: to, auto: true,
		inReplyTo: in.msg.MessageID,
	})
}

// followUp adds a contact's mail to its ticket: reopens a closed ticket,
// raises (never lowers) the level, alerts the assignee or routing.
func (d *Desk) followUp(tx *store.Tx, in *inbound, t *ticket.Ticket) error {
	if _, err := d.storeInbound(tx, in, t.ID, ticket.KindCustomer); err != nil {
		return err
	}
	var severity *classify.Result
	if in.automated == "" {
		sev := d.classifySeverity(in, t.Plan, true)
		severity = &sev
	}
	var level ticket.Level
	if severity != nil {
		level = severity.Level
	}
	dec := decideFollowUp(t, in.automated != "", level, d.cfg.FollowupAck)
	if in.automated != "" {
		in.log.Info("automated mail added to ticket without alert", "reason", in.automated)
		return tx.AddEvent(t.ID, in.from().Address, "automated", in.automated)
	}
	if dec.Reopened {
		if err := tx.AddEvent(t.ID, in.from().Address, "status", dec.StatusWhy); err != nil {
			return err
		}
	}
	if dec.NewLevel != "" {
		old := t.Level
		if err := d.applyLevel(tx, t, dec.NewLevel, t.DeclaredLevel, append(t.LevelReasons, reasonStrings(severity.Reasons)...)); err != nil {
			return err
		}
		if err := tx.AddEvent(t.ID, "ticketd", "level", fmt.Sprintf("raised %s → %s by follow-up", old, dec.NewLevel)); err != nil {
			return err
		}
		if t.FirstResponseAt == nil {
			if err := d.scheduleReminders(tx, t); err != nil {
				return err
			}
		}
	}
	if err := tx.UpdateTicket(t); err != nil {
		return err
	}
	tc, err := d.contextFor(tx, t)
	if err != nil {
		return err
	}
	if dec.Ack {
		if err := d.acknowledge(tx, in, t, tc, templates.FollowupAck); err != nil {
			return err
		}
	}
	return d.alert(tx, in, t, tc, true)
}

// quarantineUnknown keeps mail from nobody we know and sends the polite
// notice, at most once a day per address and never to automated mail.
func (d *Desk) quarantineUnknown(tx *store.Tx, in *inbound) error {
	row, err := d.storeInbound(tx, in, 0, ticket.KindCustomer)
	if err != nil {
		return err
	}
	reason := in.sender.Reason
	if reason == "" {
		reason = "sender is not a registered technical contact"
	}
	qid, err := tx.Quarantine(row, string(ticket.SenderUnknown), reason)
	if err != nil {
		return err
	}
	from := in.from()
	l, err := d.replyLimits(tx, from.Address, templates.UnknownSender, 1, d.cfg.UnknownNoticesPerHour)
	if err != nil {
		return err
	}
	if ok, why := decideUnknownNotice(from.Address, in.automated, d.cfg.TrustConfigured, in.sender.Auth, l); !ok {
		in.log.Info("unknown-sender notice withheld", "reason", why)
		return nil
	}
	lang := templates.ChooseLanguage("", "", in.msg.NewText, d.cfg.DefaultLanguage)
	data := templates.Data{
		Contact:    templates.Person{Name: from.Name, Email: from.Address},
		Message:    messageInfo(in, tx.Now, false),
		Quarantine: templates.QuarantineInfo{ID: qid, Reason: reason},
	}
	return d.enqueue(tx, outMail{kind: templates.UnknownSender, lang: lang, data: data, to: []mail.Address{from}, inbox: in.raw.Inbox,
		auto: true, rateLimit: true, inReplyTo: in.msg.MessageID, refs: threadRefs(in.msg)})
}

// quarantineSpoofed keeps a mail whose From failed authentication. Nothing
// goes to the forged address; admins are alerted.
func (d *Desk) quarantineSpoofed(tx *store.Tx, in *inbound) error {
	row, err := d.storeInbound(tx, in, 0, ticket.KindCustomer)
	if err != nil {
		return err
	}
	qid, err := tx.Quarantine(row, string(ticket.SenderSpoofed), in.sender.Reason)
	if err != nil {
		return err
	}
	in.log.Warn("spoofed sender quarantined", "quarantine", qid, "reason", in.sender.Reason)
	if d.cfg.Admin == "" {
		return nil
	}
	data := templates.Data{Message: messageInfo(in, tx.Now, false), Quarantine: templates.QuarantineInfo{ID: qid, Reason: in.sender.Reason}}
	if c := in.sender.Contact; c != nil {
		data.Contact = templates.Person{Name: c.Name, Email: c.Email}
	} else {
		data.Contact = templates.Person{Email: in.from().Address}
	}
	if cu := in.sender.Customer; cu != nil {
		data.Customer = templates.CustomerInfo{Name: cu.Name}
	}
	return d.enqueue(tx, outMail{kind: templates.SpoofedAlert, lang: d.cfg.DefaultLanguage, data: data,
		to: []mail.Address{{Address: d.cfg.Admin}}, auto: true})
}

// staffUnmatched handles staff mail that may not act on a ticket: with t
// nil, mail that matches no ticket (kept in quarantine); otherwise mail
// that names t without the staff token or trusted authentication (kept on
// t as an internal note). Either way nothing is relayed and no command is
// obeyed, and the engineer gets a short explanation, rate-limited.
func (d *Desk) staffUnmatched(tx *store.Tx, in *inbound, t *ticket.Ticket) error {
	from := in.from()
	data := templates.Data{Engineer: templates.Person{Name: from.Name, Email: from.Address}, Message: messageInfo(in, tx.Now, false)}
	if t == nil {
		row, err := d.storeInbound(tx, in, 0, ticket.KindEngineer)
		if err != nil {
			return err
		}
		if _, err := tx.Quarantine(row, "staff-unmatched", "staff mail that matches no ticket"); err != nil {
			return err
		}
	} else {
		if _, err := d.storeInbound(tx, in, t.ID, ticket.KindNote); err != nil {
			return err
		}
		in.log.Warn("staff mail without the reply token or trusted authentication kept as a note; commands ignored, nothing relayed")
		if err := tx.AddEvent(t.ID, from.Address, "unverified-staff",
			"mail from a staff address without the alert's reply token or trusted authentication: kept as an internal note, commands ignored, nothing relayed"); err != nil {
			return err
		}
		data.Ticket = templates.TicketInfo{Number: t.Number, Subject: t.Subject, Status: string(t.Status)}
	}
	if in.automated != "" {
		return nil
	}
	ok, _, err := d.autoReplyAllowed(tx, from.Address, templates.StaffBounce)
	if err != nil || !ok {
		return err
	}
	return d.enqueue(tx, outMail{kind: templates.StaffBounce, lang: d.cfg.DefaultLanguage, data: data, inbox: in.raw.Inbox,
		to: []mail.Address{from}, auto: true, rateLimit: true, inReplyTo: in.msg.MessageID})
}

// planFor is the plan of a ticket opened by customer through inbox: the
// inbox's when it has one (security@ runs on a 24x7 plan), else the
// customer's.
func (d *Desk) planFor(inbox Inbox, customer *ticket.Customer) string {
	if inbox.Plan != "" {
		return inbox.Plan
	}
	return customer.Plan
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
