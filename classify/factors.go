package classify

import (
	"fmt"
	"slices"
	"strings"
)

// The impact factors of a mail. Each is a small string enum so that it
// reads the same in Go, JSON, the level table (rules.toml), stored
// corrections and the reasons shown to engineers. "unknown" (or "none")
// means the mail does not say.

// Environment is where the problem happens.
type Environment string

// Environments.
const (
	EnvUnknown       Environment = "unknown"
	EnvProduction    Environment = "production"
	EnvNonProduction Environment = "non-production" // staging, test, QA, UAT, recette, pre-production, a project not yet live
)

// Scope is who or what is affected.
type Scope string

// Scopes, widest first.
const (
	ScopeUnknown   Scope = "unknown"
	ScopeEveryone  Scope = "everyone"   // all users, every order, the whole company, nobody can …
	ScopeTeam      Scope = "team"       // a group or part: a team, some sites, a share of the orders; operation continues
	ScopeOneUser   Scope = "one-user"   // a single person
	ScopeOneRecord Scope = "one-record" // a single record, document or transaction
)

// Function is what kind of function is affected.
type Function string

// Functions.
const (
	FuncUnknown       Function = "unknown"
	FuncSystem        Function = "system"         // the whole system, site, service, platform, server
	FuncCritical      Function = "critical"       // business-critical: checkout, payments, orders, login, invoicing, tills, production line, stored data
	FuncPeripheral    Function = "peripheral"     // export, report layout, search, notifications, dashboard, printing, UI
	FuncDocumentation Function = "documentation"  // manuals, guides, release notes
	FuncAdmin         Function = "administrative" // the vendor's invoices, contracts, licences: not the product
)

// State is how badly the function is affected.
type State string

// States, most severe first.
const (
	StateNone     State = "none"     // no problem described (a question, a wish, thanks)
	StateStopped  State = "stopped"  // down, unavailable, cannot be used at all
	StateDegraded State = "degraded" // severely slow, timeouts, intermittent or partial failures
	StateFailing  State = "failing"  // fails with errors, bugs (how badly is not said)
	StateWrong    State = "wrong"    // works but gives wrong results
	StateCosmetic State = "cosmetic" // display, layout, typos
)

// Workaround is whether the customer can get around the problem.
type Workaround string

// Workarounds.
const (
	WorkaroundUnknown Workaround = "unknown"
	WorkaroundNone    Workaround = "none"   // no workaround found, nothing helps
	WorkaroundCostly  Workaround = "costly" // manual, time-consuming, error-prone
	WorkaroundEasy    Workaround = "easy"   // reload, retry, use another way
)

// Impact is the business impact as the customer describes it, in words
// (not their priority label: that is Result.Declared).
type Impact string

// Impacts.
const (
	ImpactUnknown     Impact = "unknown"
	ImpactCritical    Impact = "critical"    // mission critical, losing revenue, nobody can work
	ImpactSignificant Impact = "significant" // significant or severe impact, restricted operation
	ImpactMinor       Impact = "minor"       // an inconvenience, not a big deal, not blocking
)

// DataLoss is whether stored data was lost.
type DataLoss string

// Data loss values.
const (
	DataLossNone      DataLoss = "none"
	DataLossAtRisk    DataLoss = "at-risk"   // data may be lost or corrupted
	DataLossConfirmed DataLoss = "confirmed" // data deleted, gone, corrupted
)

// Security is whether security is involved.
type Security string

// Security values, most severe last.
const (
	SecurityNone          Security = "none"
	SecurityVulnerability Security = "vulnerability" // a weakness reported, nothing exploited
	SecuritySuspected     Security = "suspected"     // suspicious access, possibly compromised
	SecurityBreach        Security = "breach"        // confirmed: data stolen or exposed, systems taken over
)

// Intent is what the mail is for.
type Intent string

// Intents.
const (
	IntentUnknown  Intent = "unknown"
	IntentIncident Intent = "incident" // reports a problem
	IntentQuestion Intent = "question" // how-to, clarification
	IntentRequest  Intent = "request"  // asks for a change or an action (reset, add, send)
	IntentWish     Intent = "wish"     // feature or enhancement request
	IntentThanks   Intent = "thanks"   // thanks, closing, "works again"
	IntentAdmin    Intent = "admin"    // invoices, contracts, licences, training, RCA or SLA-credit requests
)

// Factors is the assessed impact of a mail: what the level table reads.
type Factors struct {
	Environment Environment `json:"environment"`
	Scope       Scope       `json:"scope"`
	Function    Function    `json:"function"`
	State       State       `json:"state"`
	Workaround  Workaround  `json:"workaround"`
	Impact      Impact      `json:"impact"`
	DataLoss    DataLoss    `json:"data_loss"`
	Security    Security    `json:"security"`
	Intent      Intent      `json:"intent"`
}

// factorDef describes one factor for the table loader, learning and
// printing: its name (as in rules.toml and JSON), its values, and how to
// read and write it in a Factors.
type factorDef struct {
	name   string
	values []string
	get    func(*Factors) string
	set    func(*Factors, string)
}

// factorDefs lists the factors in the order they are shown.
var factorDefs = []factorDef{
	{"environment", []string{string(EnvProduction), string(EnvNonProduction), string(EnvUnknown)},
		func(f *Factors) string { return string(f.Environment) }, func(f *Factors, v string) { f.Environment = Environment(v) }},
	{"scope", []string{string(ScopeEveryone), string(ScopeTeam), string(ScopeOneUser), string(ScopeOneRecord), string(ScopeUnknown)},
		func(f *Factors) string { return string(f.Scope) }, func(f *Factors, v string) { f.Scope = Scope(v) }},
	{"function", []string{string(FuncSystem), string(FuncCritical), string(FuncPeripheral), string(FuncDocumentation), string(FuncAdmin), string(FuncUnknown)},
		func(f *Factors) string { return string(f.Function) }, func(f *Factors, v string) { f.Function = Function(v) }},
	{"state", []string{string(StateStopped), string(StateDegraded), string(StateFailing), string(StateWrong), string(StateCosmetic), string(StateNone)},
		func(f *Factors) string { return string(f.State) }, func(f *Factors, v string) { f.State = State(v) }},
	{"workaround", []string{string(WorkaroundNone), string(WorkaroundCostly), string(WorkaroundEasy), string(WorkaroundUnknown)},
		func(f *Factors) string { return string(f.Workaround) }, func(f *Factors, v string) { f.Workaround = Workaround(v) }},
	{"impact", []string{string(ImpactCritical), string(ImpactSignificant), string(ImpactMinor), string(ImpactUnknown)},
		func(f *Factors) string { return string(f.Impact) }, func(f *Factors, v string) { f.Impact = Impact(v) }},
	{"data_loss", []string{string(DataLossConfirmed), string(DataLossAtRisk), string(DataLossNone)},
		func(f *Factors) string { return string(f.DataLoss) }, func(f *Factors, v string) { f.DataLoss = DataLoss(v) }},
	{"security", []string{string(SecurityBreach), string(SecuritySuspected), string(SecurityVulnerability), string(SecurityNone)},
		func(f *Factors) string { return string(f.Security) }, func(f *Factors, v string) { f.Security = Security(v) }},
	{"intent", []string{string(IntentIncident), string(IntentQuestion), string(IntentRequest), string(IntentWish), string(IntentThanks), string(IntentAdmin), string(IntentUnknown)},
		func(f *Factors) string { return string(f.Intent) }, func(f *Factors, v string) { f.Intent = Intent(v) }},
}

// factorByName returns the definition of the named factor.
func factorByName(name string) (factorDef, bool) {
	for _, d := range factorDefs {
		if d.name == name {
			return d, true
		}
	}
	return factorDef{}, false
}

// unknownFactors is the zero assessment: nothing known.
func unknownFactors() Factors {
	return Factors{Environment: EnvUnknown, Scope: ScopeUnknown, Function: FuncUnknown, State: StateNone,
		Workaround: WorkaroundUnknown, Impact: ImpactUnknown, DataLoss: DataLossNone, Security: SecurityNone, Intent: IntentUnknown}
}

// String renders f as "environment=production scope=everyone …", every
// factor in a fixed order, so that it is also a stable key.
func (f Factors) String() string {
	var b strings.Builder
	for i, d := range factorDefs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(d.name)
		b.WriteByte('=')
		v := d.get(&f)
		if v == "" {
			v = "?"
		}
		b.WriteString(v)
	}
	return b.String()
}

// Valid reports an error naming the first factor with a value outside its
// enum.
func (f Factors) Valid() error {
	for _, d := range factorDefs {
		if v := d.get(&f); !slices.Contains(d.values, v) {
			return fmt.Errorf("factor %s: %q is not one of %s", d.name, v, strings.Join(d.values, ", "))
		}
	}
	return nil
}

// ParseFactors reads the String form back ("environment=production …").
// Factors not named stay unknown.
func ParseFactors(s string) (Factors, error) {
	f := unknownFactors()
	for _, field := range strings.Fields(s) {
		name, value, ok := strings.Cut(field, "=")
		if !ok {
			return f, fmt.Errorf("factors: %q is not name=value", field)
		}
		d, found := factorByName(name)
		if !found {
			return f, fmt.Errorf("factors: unknown factor %q", name)
		}
		if !slices.Contains(d.values, value) {
			return f, fmt.Errorf("factors: %s: %q is not one of %s", name, value, strings.Join(d.values, ", "))
		}
		d.set(&f, value)
	}
	return f, nil
}
