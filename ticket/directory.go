package ticket

// Customer is a company with a support contract on a plan.
type Customer struct {
	ID       int64
	Name     string
	Plan     string // plan name, e.g. "standard"
	Region   string // ISO 3166 code with optional subdivision, e.g. "CH-ZH"
	Language string // "en", "de", "fr" or "" for unknown
	// Engineer is the designated engineer (DSE, TAM), "" for none; they
	// receive the customer's alerts within EngineerHours (a calendar name;
	// "" = always).
	Engineer      string
	EngineerHours string
	// IncludedHours per IncludedPer ("month" | "week") of engineering time,
	// overriding the plan's; 0: the plan's.
	IncludedHours float64
	IncludedPer   string
}

// Contact is a registered technical contact of a customer. Exactly one
// contact per customer is primary; its time zone drives the SLA calendar.
type Contact struct {
	ID         int64
	CustomerID int64
	Email      string // normalised: see NormalizeAddress
	Name       string
	TZ         string // IANA zone, e.g. "Europe/Zurich"
	Language   string // "en", "de", "fr" or "" to inherit the customer's
	Primary    bool
}
