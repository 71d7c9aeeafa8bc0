package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"ticketd/store"
)

type instanceJSON struct {
	ID         string    `json:"id"`
	Host       string    `json:"host"`
	PID        int       `json:"pid"`
	Version    string    `json:"version"`
	StartedAt  time.Time `json:"started_at"`
	SeenAt     time.Time `json:"seen_at"`
	SeenSecAgo float64   `json:"seen_seconds_ago"`
	Leases     []string  `json:"leases"`
	Alive      bool      `json:"alive"`
}

type leaseJSON struct {
	Name         string    `json:"name"`
	Holder       string    `json:"holder"`
	Term         int64     `json:"term"`
	AcquiredAt   time.Time `json:"acquired_at"`
	AgeSec       float64   `json:"age_seconds"`
	ExpiresAt    time.Time `json:"expires_at"`
	ExpiresInSec float64   `json:"expires_in_seconds"`
	Expired      bool      `json:"expired"`
}

// cmdStatus prints the instances using the database and the leases they
// hold (issue 16): who reads which inbox and processes mail, since when.
func (m *Main) cmdStatus(ctx context.Context, args []string) error {
	f := m.newFlags("status")
	asJSON := f.Bool("json", false, "print JSON")
	if _, err := f.parse(args); err != nil {
		return err
	}
	db, cfg, err := m.openStore(ctx, f)
	if err != nil {
		return err
	}
	defer db.Close()
	now := m.now()
	var instances []store.Instance
	var leases []store.Lease
	err = db.View(ctx, func(tx *store.Tx) error {
		var err error
		if instances, err = tx.InstancesSeen(now.Add(-time.Hour)); err != nil {
			return err
		}
		leases, err = tx.Leases()
		return err
	})
	if err != nil {
		return err
	}
	alive := 3 * cfg.HA.Takeover.Duration
	out := struct {
		Instances []instanceJSON `json:"instances"`
		Leases    []leaseJSON    `json:"leases"`
	}{Instances: []instanceJSON{}, Leases: []leaseJSON{}}
	held := map[string][]string{}
	for _, l := range leases {
		lj := leaseJSON{Name: l.Name, Holder: l.Holder, Term: l.Term, AcquiredAt: l.AcquiredAt, AgeSec: now.Sub(l.AcquiredAt).Seconds(),
			ExpiresAt: l.ExpiresAt, ExpiresInSec: l.ExpiresAt.Sub(now).Seconds(), Expired: !now.Before(l.ExpiresAt)}
		out.Leases = append(out.Leases, lj)
		if !lj.Expired {
			held[l.Holder] = append(held[l.Holder], l.Name)
		}
	}
	for _, in := range instances {
		ij := instanceJSON{ID: in.ID, Host: in.Host, PID: in.PID, Version: in.Version, StartedAt: in.StartedAt, SeenAt: in.SeenAt,
			SeenSecAgo: now.Sub(in.SeenAt).Seconds(), Leases: held[in.ID], Alive: now.Sub(in.SeenAt) < alive}
		if ij.Leases == nil {
			ij.Leases = []string{}
		}
		out.Instances = append(out.Instances, ij)
	}
	if *asJSON {
		return writeJSON(m.Stdout, out)
	}
	if len(out.Instances) == 0 {
		fmt.Fprintln(m.Stdout, "no instance has used this database in the last hour (a single SQLite instance records none)")
	} else {
		tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "INSTANCE\tHOST\tPID\tVERSION\tUP SINCE\tLAST SEEN\tROLE")
		for _, in := range out.Instances {
			role := "standby"
			if len(in.Leases) > 0 {
				role = fmt.Sprintf("leader (%d leases)", len(in.Leases))
			}
			if !in.Alive {
				role = "gone"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s ago\t%s\n", in.ID, in.Host, in.PID, orDash(in.Version), in.StartedAt.Format(time.RFC3339),
				time.Duration(in.SeenSecAgo*float64(time.Second)).Round(time.Second), role)
		}
		tw.Flush()
	}
	if len(out.Leases) > 0 {
		fmt.Fprintln(m.Stdout)
		tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "LEASE\tHOLDER\tTERM\tHELD FOR\tEXPIRES")
		for _, l := range out.Leases {
			exp := fmt.Sprintf("in %s", time.Duration(l.ExpiresInSec*float64(time.Second)).Round(time.Second))
			if l.Expired {
				exp = "expired: a standby takes it"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", l.Name, l.Holder, l.Term, time.Duration(l.AgeSec*float64(time.Second)).Round(time.Second), exp)
		}
		tw.Flush()
	}
	return nil
}
