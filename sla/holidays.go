package sla

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/ar"
	"github.com/rickar/cal/v2/at"
	"github.com/rickar/cal/v2/au"
	"github.com/rickar/cal/v2/be"
	"github.com/rickar/cal/v2/bg"
	"github.com/rickar/cal/v2/br"
	"github.com/rickar/cal/v2/ca"
	"github.com/rickar/cal/v2/ch"
	"github.com/rickar/cal/v2/cz"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/dk"
	"github.com/rickar/cal/v2/es"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gb"
	"github.com/rickar/cal/v2/gr"
	"github.com/rickar/cal/v2/hr"
	"github.com/rickar/cal/v2/ie"
	"github.com/rickar/cal/v2/it"
	"github.com/rickar/cal/v2/jp"
	"github.com/rickar/cal/v2/lt"
	"github.com/rickar/cal/v2/lv"
	"github.com/rickar/cal/v2/mw"
	"github.com/rickar/cal/v2/nc"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/no"
	"github.com/rickar/cal/v2/nz"
	"github.com/rickar/cal/v2/pl"
	"github.com/rickar/cal/v2/ro"
	"github.com/rickar/cal/v2/ru"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/si"
	"github.com/rickar/cal/v2/sk"
	"github.com/rickar/cal/v2/ua"
	"github.com/rickar/cal/v2/us"
	"github.com/rickar/cal/v2/za"
)

// countries maps ISO 3166-1 alpha-2 codes to cal's national lists. GB is
// cal's "United Kingdom" list, i.e. the England and Wales bank holidays.
var countries = map[string][]*cal.Holiday{
	"AR": ar.Holidays, "AT": at.Holidays, "AU": australia(), "BE": be.Holidays,
	"BG": bg.Holidays, "BR": br.Holidays, "CA": ca.Holidays, "CH": ch.Holidays,
	"CZ": cz.Holidays, "DE": de.Holidays, "DK": dk.Holidays, "ES": es.Holidays,
	"FR": fr.Holidays, "GB": gb.Holidays, "GR": gr.Holidays, "HR": hr.Holidays,
	"IE": ie.Holidays, "IT": it.Holidays, "JP": jp.Holidays, "LT": lt.Holidays,
	"LV": lv.Holidays, "MW": mw.Holidays, "NC": nc.Holidays, "NL": nl.Holidays,
	"NO": no.Holidays, "NZ": nz.Holidays, "PL": pl.Holidays, "RO": ro.Holidays,
	"RU": ru.Holidays, "SE": se.Holidays, "SI": si.Holidays, "SK": sk.Holidays,
	"UA": ua.Holidays, "US": us.Holidays, "ZA": za.Holidays,
}

// subdivisions maps a country to its ISO 3166-2 subdivisions that cal knows.
// Each list is complete (national days included), as cal defines it.
var subdivisions = map[string]map[string][]*cal.Holiday{
	"AU": {
		"ACT": au.HolidaysACT, "NSW": au.HolidaysNSW, "NT": au.HolidaysNT, "QLD": au.HolidaysQLD,
		"SA": au.HolidaysSA, "TAS": au.HolidaysTAS, "VIC": au.HolidaysVIC, "WA": au.HolidaysWA,
	},
	"CH": {
		"AG": ch.HolidaysAG, "AI": ch.HolidaysAI, "AR": ch.HolidaysAR, "BE": ch.HolidaysBE,
		"BL": ch.HolidaysBL, "BS": ch.HolidaysBS, "FR": ch.HolidaysFR, "GE": ch.HolidaysGE,
		"GL": ch.HolidaysGL, "GR": ch.HolidaysGR, "JU": ch.HolidaysJU, "LU": ch.HolidaysLU,
		"NE": ch.HolidaysNE, "NW": ch.HolidaysNW, "OW": ch.HolidaysOW, "SG": ch.HolidaysSG,
		"SH": ch.HolidaysSH, "SO": ch.HolidaysSO, "SZ": ch.HolidaysSZ, "TG": ch.HolidaysTG,
		"TI": ch.HolidaysTI, "UR": ch.HolidaysUR, "VD": ch.HolidaysVD, "VS": ch.HolidaysVS,
		"ZG": ch.HolidaysZG, "ZH": ch.HolidaysZH,
	},
	"DE": {
		"BB": de.HolidaysBB, "BE": de.HolidaysBE, "BW": de.HolidaysBW, "BY": de.HolidaysBY,
		"HB": de.HolidaysHB, "HE": de.HolidaysHE, "HH": de.HolidaysHH, "MV": de.HolidaysMV,
		"NI": de.HolidaysNI, "NW": de.HolidaysNW, "RP": de.HolidaysRP, "SH": de.HolidaysSH,
		"SL": de.HolidaysSL, "SN": de.HolidaysSN, "ST": de.HolidaysST, "TH": de.HolidaysTH,
	},
}

// australia returns the holidays every Australian state list in cal shares
// (same definition, so the same substitution rule), since cal has no
// national list and a customer who only says "AU" should not lose a state's
// local days.
func australia() []*cal.Holiday {
	states := [][]*cal.Holiday{au.HolidaysACT, au.HolidaysNSW, au.HolidaysNT, au.HolidaysQLD,
		au.HolidaysSA, au.HolidaysTAS, au.HolidaysVIC, au.HolidaysWA}
	var common []*cal.Holiday
	for _, h := range states[0] {
		shared := true
		for _, s := range states[1:] {
			shared = shared && slices.Contains(s, h)
		}
		if shared {
			common = append(common, h)
		}
	}
	return common
}

// Regions lists every region code accepted by ValidRegion, sorted:
// countries ("CH") and subdivisions ("CH-ZH").
func Regions() []string {
	var out []string
	for c := range countries {
		out = append(out, c)
		for s := range subdivisions[c] {
			out = append(out, c+"-"+s)
		}
	}
	slices.Sort(out)
	return out
}

// ValidRegion reports whether region names a holiday list: "" (no
// holidays), a country such as "GB", or a subdivision such as "DE-BY".
// Case does not matter. The error names the region and what is known.
func ValidRegion(region string) error {
	_, err := holidayList(region)
	return err
}

func holidayList(region string) ([]*cal.Holiday, error) {
	code := strings.ToUpper(strings.TrimSpace(region))
	if code == "" {
		return nil, nil
	}
	country, sub, hasSub := strings.Cut(code, "-")
	list, ok := countries[country]
	if !ok {
		return nil, fmt.Errorf("unknown region %q: no holidays known for country %q (known: %s)",
			region, country, strings.Join(slices.Sorted(maps.Keys(countries)), ", "))
	}
	if !hasSub {
		return list, nil
	}
	subs := subdivisions[country]
	if len(subs) == 0 {
		return nil, fmt.Errorf("unknown region %q: no subdivisions of %s are known, use %q", region, country, country)
	}
	list, ok = subs[sub]
	if !ok {
		return nil, fmt.Errorf("unknown region %q: known subdivisions of %s: %s",
			region, country, strings.Join(slices.Sorted(maps.Keys(subs)), ", "))
	}
	return list, nil
}

// yearHolidays marks the closed days of one year, indexed [month][day].
type yearHolidays [13][32]bool

type holidayKey struct {
	region string // upper-cased code
	year   int
}

// holidayCache holds *yearHolidays per holidayKey. Computing a year costs
// dozens of cal.Holiday.Calc calls; due-time walks look days up constantly.
var holidayCache sync.Map

// holidays returns the closed days of region in year. list is the region's
// (already validated) holiday list.
func holidays(region string, list []*cal.Holiday, year int) *yearHolidays {
	key := holidayKey{region, year}
	if v, ok := holidayCache.Load(key); ok {
		return v.(*yearHolidays)
	}
	var set yearHolidays
	mark := func(t time.Time) {
		if y, m, d := t.Date(); !t.IsZero() && y == year {
			set[m][d] = true
		}
	}
	// A holiday of the neighbouring year can be observed in this one:
	// US New Year's Day on a Saturday is observed Friday 31 December.
	for y := year - 1; y <= year+1; y++ {
		for _, h := range list {
			actual, observed := h.Calc(y)
			mark(actual)
			mark(observed)
		}
	}
	v, _ := holidayCache.LoadOrStore(key, &set)
	return v.(*yearHolidays)
}
