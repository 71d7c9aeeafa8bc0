package templates

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

var (
	weekdayNames = map[string][7]string{
		"en": {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		"de": {"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"},
		"fr": {"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"},
	}
	monthNames = map[string][12]string{
		"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		"de": {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
		"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	}
)

// FormatDateTime writes t as a reader of lang expects it, in loc (nil means
// UTC), with weekday and month names in that language and the zone
// abbreviation from the time package:
//
//	en: Monday 23 November 2026, 09:30 CET
//	de: Montag, 23. November 2026, 09:30 CET
//	fr: lundi 23 novembre 2026, 09:30 CET  (the first of a month is "1er")
//
// An unsupported lang is written as English.
func FormatDateTime(t time.Time, loc *time.Location, lang string) string {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	lang = normalizeLang(lang)
	if _, ok := monthNames[lang]; !ok {
		lang = DefaultLanguage
	}
	wd, month := weekdayNames[lang][t.Weekday()], monthNames[lang][t.Month()-1]
	clock := t.Format("15:04 MST")
	switch lang {
	case "de":
		return fmt.Sprintf("%s, %d. %s %d, %s", wd, t.Day(), month, t.Year(), clock)
	case "fr":
		day := fmt.Sprint(t.Day())
		if t.Day() == 1 {
			day = "1er"
		}
		return fmt.Sprintf("%s %s %s %d, %s", wd, day, month, t.Year(), clock)
	}
	return fmt.Sprintf("%s %d %s %d, %s", wd, t.Day(), month, t.Year(), clock)
}

// FuncMap is every function templates may call, on top of text/template's
// built-ins (and, len, index, printf, …):
//
//	join LIST SEP           strings.Join, e.g. {{join .Level.Reasons "; "}}
//	datetime TIME LANG ZONE FormatDateTime in an IANA zone, e.g. {{datetime .Due.At .Lang .Zone}}
//
// It is a function so callers cannot change the shared map.
func FuncMap() map[string]any {
	return map[string]any{
		"join": strings.Join,
		// hasPrefix lets a template avoid "P0 – P0 – Blocker" when a
		// plan's label already starts with the level's code.
		"hasPrefix": strings.HasPrefix,
		"datetime": func(t time.Time, lang, zone string) string {
			return FormatDateTime(t, zoneLocation(zone), lang)
		},
	}
}

var zoneCache sync.Map // string → *time.Location (nil for unknown zones)

// zoneLocation loads an IANA zone once; "" and unknown zones give nil
// (UTC), because a typo in a contact's zone must not stop a mail.
func zoneLocation(zone string) *time.Location {
	if zone == "" {
		return nil
	}
	if v, ok := zoneCache.Load(zone); ok {
		return v.(*time.Location)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = nil
	}
	zoneCache.Store(zone, loc)
	return loc
}
