package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"ticketd/ticket"
)

// AddCustomer inserts a customer; the name must be unique (case-insensitive).
func (tx *Tx) AddCustomer(c *ticket.Customer) error {
	err := tx.queryRow(`INSERT INTO customers (name, plan, region, language, engineer, engineer_hours, included_hours, included_per, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.Name, c.Plan, c.Region, c.Language, c.Engineer, c.EngineerHours, c.IncludedHours, c.IncludedPer, tx.Now.Format(TimeFormat)).Scan(&c.ID)
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("customer %q already exists", c.Name)
		}
		return fmt.Errorf("add customer %q: %w", c.Name, err)
	}
	return nil
}

// UpdateCustomer writes c's plan, region and language.
func (tx *Tx) UpdateCustomer(c *ticket.Customer) error {
	_, err := tx.exec(`UPDATE customers SET plan = ?, region = ?, language = ?, engineer = ?, engineer_hours = ?, included_hours = ?,
		included_per = ? WHERE id = ?`, c.Plan, c.Region, c.Language, c.Engineer, c.EngineerHours, c.IncludedHours, c.IncludedPer, c.ID)
	if err != nil {
		return fmt.Errorf("update customer %q: %w", c.Name, err)
	}
	return nil
}

// RemoveCustomer deletes a customer and its contacts. Tickets keep their
// history; their customer link becomes empty.
func (tx *Tx) RemoveCustomer(id int64) error {
	if _, err := tx.exec(`DELETE FROM customers WHERE id = ?`, id); err != nil {
		return fmt.Errorf("remove customer %d: %w", id, err)
	}
	return nil
}

const customerColumns = `id, name, plan, region, language, engineer, engineer_hours, included_hours, included_per`

func scanCustomer(s interface{ Scan(...any) error }) (*ticket.Customer, error) {
	var c ticket.Customer
	if err := s.Scan(&c.ID, &c.Name, &c.Plan, &c.Region, &c.Language, &c.Engineer, &c.EngineerHours, &c.IncludedHours, &c.IncludedPer); err != nil {
		return nil, err
	}
	return &c, nil
}

// CustomerByName finds a customer by name, case-insensitively.
func (tx *Tx) CustomerByName(name string) (*ticket.Customer, error) {
	c, err := scanCustomer(tx.queryRow(`SELECT `+customerColumns+` FROM customers WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("customer %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read customer %q: %w", name, err)
	}
	return c, nil
}

// CustomerByID finds a customer by id.
func (tx *Tx) CustomerByID(id int64) (*ticket.Customer, error) {
	c, err := scanCustomer(tx.queryRow(`SELECT `+customerColumns+` FROM customers WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("customer %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read customer %d: %w", id, err)
	}
	return c, nil
}

// Customers lists all customers by name.
func (tx *Tx) Customers() ([]*ticket.Customer, error) {
	rows, err := tx.query(`SELECT ` + customerColumns + ` FROM customers ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	defer rows.Close()
	var out []*ticket.Customer
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

const contactColumns = `id, customer_id, email, name, tz, language, is_primary`

func scanContact(s interface{ Scan(...any) error }) (*ticket.Contact, error) {
	var c ticket.Contact
	if err := s.Scan(&c.ID, &c.CustomerID, &c.Email, &c.Name, &c.TZ, &c.Language, &c.Primary); err != nil {
		return nil, err
	}
	return &c, nil
}

// AddContact inserts a contact. The caller enforces plan limits; the
// database enforces unique addresses and at most one primary per customer.
// A contact added as primary demotes the previous primary.
func (tx *Tx) AddContact(c *ticket.Contact) error {
	c.Email = ticket.NormalizeAddress(c.Email)
	if c.Primary {
		if _, err := tx.exec(`UPDATE contacts SET is_primary = 0 WHERE customer_id = ?`, c.CustomerID); err != nil {
			return fmt.Errorf("demote primary contact: %w", err)
		}
	}
	err := tx.queryRow(`INSERT INTO contacts (customer_id, email, name, tz, language, is_primary, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.CustomerID, c.Email, c.Name, c.TZ, c.Language, c.Primary, tx.Now.Format(TimeFormat)).Scan(&c.ID)
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("contact %s already exists", c.Email)
		}
		return fmt.Errorf("add contact %s: %w", c.Email, err)
	}
	return nil
}

// SetPrimary makes contact id the primary contact of its customer.
func (tx *Tx) SetPrimary(c *ticket.Contact) error {
	if _, err := tx.exec(`UPDATE contacts SET is_primary = 0 WHERE customer_id = ?`, c.CustomerID); err != nil {
		return fmt.Errorf("demote primary contact: %w", err)
	}
	if _, err := tx.exec(`UPDATE contacts SET is_primary = 1 WHERE id = ?`, c.ID); err != nil {
		return fmt.Errorf("set primary contact %s: %w", c.Email, err)
	}
	c.Primary = true
	return nil
}

// RemoveContact deletes the contact with email.
func (tx *Tx) RemoveContact(email string) error {
	res, err := tx.exec(`DELETE FROM contacts WHERE email = ?`, ticket.NormalizeAddress(email))
	if err != nil {
		return fmt.Errorf("remove contact %s: %w", email, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("contact %s: %w", email, ErrNotFound)
	}
	return nil
}

// ContactByEmail finds a contact by its normalised address (local part
// exact, domain case-insensitive) and returns it with its customer.
func (tx *Tx) ContactByEmail(email string) (*ticket.Contact, *ticket.Customer, error) {
	c, err := scanContact(tx.queryRow(`SELECT `+contactColumns+` FROM contacts WHERE email = ?`, ticket.NormalizeAddress(email)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("contact %s: %w", email, ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read contact %s: %w", email, err)
	}
	cu, err := tx.CustomerByID(c.CustomerID)
	if err != nil {
		return nil, nil, err
	}
	return c, cu, nil
}

// ContactByID returns a contact by id.
func (tx *Tx) ContactByID(id int64) (*ticket.Contact, error) {
	c, err := scanContact(tx.queryRow(`SELECT `+contactColumns+` FROM contacts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("contact %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read contact %d: %w", id, err)
	}
	return c, nil
}

// Contacts lists contacts, of one customer when customerID > 0, primary first.
func (tx *Tx) Contacts(customerID int64) ([]*ticket.Contact, error) {
	q := `SELECT ` + contactColumns + ` FROM contacts`
	var args []any
	if customerID > 0 {
		q += ` WHERE customer_id = ?`
		args = append(args, customerID)
	}
	q += ` ORDER BY customer_id, is_primary DESC, email`
	rows, err := tx.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	defer rows.Close()
	var out []*ticket.Contact
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PrimaryContact returns the customer's primary contact, or ErrNotFound.
func (tx *Tx) PrimaryContact(customerID int64) (*ticket.Contact, error) {
	c, err := scanContact(tx.queryRow(`SELECT `+contactColumns+` FROM contacts WHERE customer_id = ? AND is_primary = 1`, customerID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("primary contact of customer %d: %w", customerID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read primary contact: %w", err)
	}
	return c, nil
}

func isUnique(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "UNIQUE constraint failed") || pgCode(err) == "23505") // unique_violation
}

// LookupContact serves sender verification (classify.Directory): the
// contact with email and its customer, or nil, nil when there is none.
func (tx *Tx) LookupContact(ctx context.Context, email string) (*ticket.Contact, *ticket.Customer, error) {
	c, cu, err := tx.ContactByEmail(email)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, nil
	}
	return c, cu, err
}

// LookupContact is Tx.LookupContact in a read transaction of its own.
func (d *DB) LookupContact(ctx context.Context, email string) (c *ticket.Contact, cu *ticket.Customer, err error) {
	err = d.View(ctx, func(tx *Tx) error { c, cu, err = tx.LookupContact(ctx, email); return err })
	return c, cu, err
}
