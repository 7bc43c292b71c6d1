package dates

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// MinDate is the earliest plausible publication date; anything before is
// rejected as implausible (the web news era starts in the mid 1990s).
var MinDate = time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC)

// FutureSlack is how far past Now a date may lie before it is rejected as
// future: clocks and time zones of outlets are not exact.
const FutureSlack = 3 * time.Hour

// months maps lowercase month names, genitive forms and abbreviations in
// Azerbaijani, Russian, English, Turkish and a few other European languages
// to month numbers.
var months = map[string]time.Month{}

func init() {
	add := func(m time.Month, names ...string) {
		for _, n := range names {
			months[n] = m
		}
	}
	// English, German, French, Spanish, Italian, Portuguese, Dutch.
	add(1, "january", "jan", "januar", "jänner", "janvier", "janv", "enero", "ene", "gennaio", "gen", "janeiro", "januari")
	add(2, "february", "feb", "febr", "februar", "février", "fevrier", "févr", "fév", "febrero", "febbraio", "fevereiro", "fev", "februari")
	add(3, "march", "mar", "märz", "maerz", "mrz", "mars", "marzo", "março", "marco", "maart", "mär")
	add(4, "april", "apr", "avril", "avr", "abril", "abr", "aprile")
	add(5, "may", "mai", "mayo", "maggio", "maio", "mei", "mag")
	add(6, "june", "jun", "juni", "juin", "junio", "giugno", "giu", "junho")
	add(7, "july", "jul", "juli", "juillet", "juil", "julio", "luglio", "lug", "julho")
	add(8, "august", "aug", "août", "aout", "agosto", "ago", "augustus")
	add(9, "september", "sep", "sept", "septembre", "septiembre", "setiembre", "settembre", "set", "setembro")
	add(10, "october", "oct", "oktober", "okt", "octobre", "octubre", "ottobre", "ott", "outubro", "out")
	add(11, "november", "nov", "novembre", "noviembre", "novembro")
	add(12, "december", "dec", "dezember", "dez", "décembre", "decembre", "déc", "diciembre", "dic", "dicembre", "dezembro")
	// Azerbaijani (with the genitive/locative forms used in running text).
	add(1, "yanvar", "yanvarın", "yanvarda", "yan")
	add(2, "fevral", "fevralın", "fevralda")
	add(3, "mart", "martın", "martda")
	add(4, "aprel", "aprelin", "apreldə")
	add(5, "mayın", "mayda")
	add(6, "iyun", "iyunun", "iyunda", "i̇yun")
	add(7, "iyul", "iyulun", "iyulda", "i̇yul")
	add(8, "avqust", "avqustun", "avqustda", "avq")
	add(9, "sentyabr", "sentyabrın", "sentyabrda", "sen")
	add(10, "oktyabr", "oktyabrın", "oktyabrda")
	add(11, "noyabr", "noyabrın", "noyabrda", "noy")
	add(12, "dekabr", "dekabrın", "dekabrda", "dek")
	// Russian: genitive (dates), nominative, abbreviations.
	add(1, "января", "январь", "янв")
	add(2, "февраля", "февраль", "фев", "февр")
	add(3, "марта", "март", "мар")
	add(4, "апреля", "апрель", "апр")
	add(5, "мая", "май")
	add(6, "июня", "июнь", "июн")
	add(7, "июля", "июль", "июл")
	add(8, "августа", "август", "авг")
	add(9, "сентября", "сентябрь", "сен", "сент")
	add(10, "октября", "октябрь", "окт")
	add(11, "ноября", "ноябрь", "ноя", "нояб")
	add(12, "декабря", "декабрь", "дек")
	// Ukrainian genitive (shares the Cyrillic pages of the region).
	add(1, "січня")
	add(2, "лютого")
	add(3, "березня")
	add(4, "квітня")
	add(5, "травня")
	add(6, "червня")
	add(7, "липня")
	add(8, "серпня")
	add(9, "вересня")
	add(10, "жовтня")
	add(11, "листопада")
	add(12, "грудня")
	// Turkish.
	add(1, "ocak", "oca")
	add(2, "şubat", "şub", "subat")
	add(3, "mart")
	add(4, "nisan", "nis")
	add(5, "mayıs", "mayis", "may")
	add(6, "haziran", "haz")
	add(7, "temmuz", "tem")
	add(8, "ağustos", "ağu", "agustos")
	add(9, "eylül", "eyl", "eylul")
	add(10, "ekim", "eki")
	add(11, "kasım", "kas", "kasim")
	add(12, "aralık", "ara", "aralik")

	// Arabic (Egyptian/Gulf and Levantine names).
	add(1, "يناير", "كانون الثاني")
	add(2, "فبراير", "شباط")
	add(3, "مارس", "آذار")
	add(4, "أبريل", "ابريل", "إبريل", "نيسان")
	add(5, "مايو", "أيار")
	add(6, "يونيو", "يونيه", "حزيران")
	add(7, "يوليو", "يوليه", "تموز")
	add(8, "أغسطس", "اغسطس", "آب")
	add(9, "سبتمبر", "أيلول")
	add(10, "أكتوبر", "اكتوبر", "تشرين الأول")
	add(11, "نوفمبر", "تشرين الثاني")
	add(12, "ديسمبر", "كانون الأول")

	names := make([]string, 0, len(months))
	for n := range months {
		names = append(names, regexp.QuoteMeta(n))
	}
	// Longest first so that "februar" is not matched as "feb".
	sortByLenDesc(names)
	mon := `(` + strings.Join(names, "|") + `)`
	const (
		nb   = `(?:^|[^\p{L}\p{N}])` // left boundary
		ne   = `(?:$|[^\p{L}\p{N}])` // right boundary (consumed; fine for FindStringSubmatch)
		sep  = `[\s\p{Zs}]*`
		year = `((?:19|20)\d{2})`
	)
	// 21 fevral 2025 | 21 февраля 2025 г. | 21. Februar 2025 | 21 de febrero de 2025 | 21-Feb-2025
	reDayMonYear = regexp.MustCompile(nb + `([0-3]?\d)(?:st|nd|rd|th|er|\.)?` + sep + `(?:de\s+|-)?` + mon + `\.?` + `(?:` + sep + `de|,|-)?` + sep + year + ne)
	// February 21, 2025 | Feb. 21st 2025 | Şubat 21, 2025
	reMonDayYear = regexp.MustCompile(nb + mon + `\.?` + sep + `([0-3]?\d)(?:st|nd|rd|th)?` + sep + `,?` + sep + year + ne)
	// 2025, 21 February | 2025 21 fevral | 2025-ci il 21 fevral
	reYearDayMon = regexp.MustCompile(nb + year + `(?:-ci il|-cü il|-cı il|-cu il| г\.?| года|,)?` + sep + `([0-3]?\d)` + sep + mon + ne)
	// 21 fevral | 21 февраля (no year: the most recent past such day)
	reDayMon = regexp.MustCompile(nb + `([0-3]?\d)\.?` + sep + mon + ne)
}

var (
	reDayMonYear, reMonDayYear, reYearDayMon, reDayMon *regexp.Regexp

	// 2025-02-21, 2025/02/21, 2025.02.21 (optionally followed by T or space and a time)
	reYMD = regexp.MustCompile(`(?:^|[^\d])((?:19|20)\d{2})([-/.])(0?[1-9]|1[0-2])([-/.])(0?[1-9]|[12]\d|3[01])(?:$|[^\d])`)
	// 21.02.2025, 21/02/2025, 21-02-2025; also 21.02.25 when a time follows
	reDMY = regexp.MustCompile(`(?:^|[^\d.])([0-3]?\d)([./-])([0-3]?\d)([./-])((?:19|20)\d{2})(?:$|[^\d])`)
	// 21. 2. 2025 (German typography spaces the dotted form)
	reDMYSpaced = regexp.MustCompile(`(?:^|[^\d.])([0-3]?\d)\. {1,2}([01]?\d)\. {1,2}((?:19|20)\d{2})(?:$|[^\d])`)
	// 2025年2月21日 (Chinese, Japanese), 2025년 2월 21일 (Korean)
	reCJK = regexp.MustCompile(`((?:19|20)\d{2})\s*[年년]\s*([01]?\d)\s*[月월]\s*([0-3]?\d)\s*[日일]`)
	// 21.02.25 (two-digit year), only in short date labels
	reDMY2 = regexp.MustCompile(`(?:^|[^\d.])([0-3]?\d)\.([01]?\d)\.(\d{2})(?:$|[^\d.])`)
	// the two-digit year right after a day and month name ("14 Gennaio
	// 20"), not an hour ("14 Gennaio 20:30") or a count ("20 people")
	reTwoDigitYear = regexp.MustCompile(`^\.?[\s,-]{0,2}(\d{2})\s*(?:$|[)\]|])`)
	// 20250221 (compact), bounded by non-digits
	reCompact = regexp.MustCompile(`(?:^|[^\d])((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?:$|[^\d])`)
	// 18:17, 18:17:05, 6:17 pm, 18.17 is not accepted (ambiguous)
	reTime = regexp.MustCompile(`(?:^|[^\d:])([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:[.,]\d+)?)?(?:\s*(a\.?m\.?|p\.?m\.?)(?:$|[^\p{L}]))?`)
	// +04:00, +0400, -05, Z after a time; UTC/GMT with optional offset
	reZone = regexp.MustCompile(`^\s*(?:(z)(?:$|[^\p{L}])|(?:utc|gmt)?\s*([+-−])(\d{2}):?(\d{2})?(?:$|[^\d])|(utc|gmt)(?:$|[^\p{L}])|(msk|мск|azt|est|edt|cst|cdt|mst|mdt|pst|pdt|cet|cest|eet|eest|bst|trt)(?:$|[^\p{L}]))`)
	reUnix = regexp.MustCompile(`^\d{10}(\d{3})?$`)
)

var zoneOffsets = map[string]int{
	"msk": 3, "мск": 3, "azt": 4, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6,
	"pst": -8, "pdt": -7, "cet": 1, "cest": 2, "eet": 2, "eest": 3, "bst": 1, "trt": 3,
}

func sortByLenDesc(s []string) {
	// insertion sort is fine for a few hundred names at init
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && (len(s[j]) > len(s[j-1]) || (len(s[j]) == len(s[j-1]) && s[j] < s[j-1])); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// normalize lowercases s (mapping the Turkish dotted capital I to i) and
// folds non-breaking and other Unicode spaces to ASCII spaces.
func normalize(s string) string {
	s = strings.ReplaceAll(s, "İ", "I")
	s = strings.ToLower(s)
	return strings.Map(func(r rune) rune {
		switch r {
		case '\u00a0', '\u2009', '\u202f', '\u2007', '\u2002', '\u2003', '\t', '\n', '\r':
			return ' '
		case '\u2013', '\u2014', '\u2212':
			return '-'
		}
		return r
	}, s)
}

// ParseText parses one date string as found in feeds, meta tags or visible
// page text: ISO 8601 / RFC 3339, RFC 1123, numeric day-month-year and
// year-month-day forms, month names in Azerbaijani, Russian, English,
// Turkish (and German, French, Spanish, Italian, Portuguese, Dutch), and
// relative dates ("2 saat əvvəl", "2 часа назад", "2 hours ago", "dünən
// 14:30", "вчера в 14:30", "yesterday") resolved against now. A time without
// offset is taken in loc (nil means UTC). Dates after now+FutureSlack or
// before MinDate are rejected. A zero now means time.Now().
func ParseText(s string, loc *time.Location, now time.Time) (time.Time, bool) {
	if loc == nil {
		loc = time.UTC
	}
	if now.IsZero() {
		now = time.Now()
	}
	p, ok := parse(s, loc, now)
	if !ok || !plausible(p.t, now) {
		return time.Time{}, false
	}
	return p.t, true
}

// kind tells how a date was written.
type kind int

const (
	absolute kind = iota // full date with year
	yearless             // day and month only; year inferred from now
	relative             // "2 hours ago", "yesterday"
)

// parsed is a parse result with what the text said explicitly.
type parsed struct {
	t       time.Time
	zoned   bool // the text gave an offset or zone
	hasTime bool // the text gave a time of day
	kind    kind
}

func plausible(t, now time.Time) bool {
	return !t.Before(MinDate) && !t.After(now.Add(FutureSlack))
}

// structured layouts tried verbatim before the pattern search.
var layouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
	time.RFC1123Z,
	time.RFC1123,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 02 Jan 2006 15:04 -0700",
	time.RubyDate,
	"Mon Jan 02 2006 15:04:05 GMT-0700",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05-07:00",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 -0700 MST",
}

func parse(raw string, loc *time.Location, now time.Time) (parsed, bool) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return parsed{}, false
	}
	if len(s) > 400 {
		s = s[:400]
	}
	if layoutShaped(s) {
		for _, l := range layouts {
			if t, err := time.Parse(l, s); err == nil {
				return fixAbbrev(t, loc), true
			}
		}
	}
	if reUnix.MatchString(s) {
		n, _ := strconv.ParseInt(s[:10], 10, 64)
		return parsed{t: time.Unix(n, 0).In(loc), zoned: true, hasTime: true}, true
	}
	hasDigit := strings.ContainsAny(s, "0123456789")
	if !hasDigit && len(s) > 60 {
		return parsed{}, false // every absolute form has digits; word-only relative dates are short
	}
	ns := normalize(s)
	if relativeHint(ns) {
		if t, ok := parseRelative(ns, loc, now); ok {
			return parsed{t: t, zoned: true, hasTime: true, kind: relative}, true
		}
	}
	if !hasDigit {
		return parsed{}, false
	}
	type cand struct {
		y, m, d  int
		pos, end int
		k        kind
	}
	var c *cand
	try := func(y, m, d, pos, end int) {
		if c != nil && c.pos <= pos {
			return
		}
		if m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
			return
		}
		c = &cand{y, m, d, pos, end, absolute}
	}
	if m := reCJK.FindStringSubmatchIndex(ns); m != nil {
		y, _ := strconv.Atoi(ns[m[2]:m[3]])
		mo, _ := strconv.Atoi(ns[m[4]:m[5]])
		d, _ := strconv.Atoi(ns[m[6]:m[7]])
		try(y, mo, d, m[2], m[1])
	}
	if m := reYMD.FindStringSubmatchIndex(ns); m != nil && ns[m[4]:m[5]] == ns[m[8]:m[9]] && !isRange(ns[m[11]:]) {
		y, _ := strconv.Atoi(ns[m[2]:m[3]])
		mo, _ := strconv.Atoi(ns[m[6]:m[7]])
		d, _ := strconv.Atoi(ns[m[10]:m[11]])
		try(y, mo, d, m[2], m[11])
	}
	if m := reDMY.FindStringSubmatchIndex(ns); m != nil && ns[m[4]:m[5]] == ns[m[8]:m[9]] && !isRange(ns[m[11]:]) {
		d, _ := strconv.Atoi(ns[m[2]:m[3]])
		mo, _ := strconv.Atoi(ns[m[6]:m[7]])
		y, _ := strconv.Atoi(ns[m[10]:m[11]])
		if mo > 12 && d <= 12 { // US month/day/year
			d, mo = mo, d
		}
		try(y, mo, d, m[2], m[11])
	}
	// The month-name patterns are large alternations; run them only when
	// a month name and (for the first three) a year are present.
	monthName := hasMonthWord(ns)
	if c == nil && strings.Contains(ns, ". ") {
		if m := reDMYSpaced.FindStringSubmatchIndex(ns); m != nil {
			d, _ := strconv.Atoi(ns[m[2]:m[3]])
			mo, _ := strconv.Atoi(ns[m[4]:m[5]])
			y, _ := strconv.Atoi(ns[m[6]:m[7]])
			try(y, mo, d, m[2], m[7])
		}
	}
	if monthName && hasYear(ns) {
		if m := reDayMonYear.FindStringSubmatchIndex(ns); m != nil {
			d, _ := strconv.Atoi(ns[m[2]:m[3]])
			y, _ := strconv.Atoi(ns[m[6]:m[7]])
			try(y, int(months[ns[m[4]:m[5]]]), d, m[2], m[7])
		}
		if m := reMonDayYear.FindStringSubmatchIndex(ns); m != nil {
			d, _ := strconv.Atoi(ns[m[4]:m[5]])
			y, _ := strconv.Atoi(ns[m[6]:m[7]])
			try(y, int(months[ns[m[2]:m[3]]]), d, m[2], m[7])
		}
		if m := reYearDayMon.FindStringSubmatchIndex(ns); m != nil {
			y, _ := strconv.Atoi(ns[m[2]:m[3]])
			d, _ := strconv.Atoi(ns[m[4]:m[5]])
			try(y, int(months[ns[m[6]:m[7]]]), d, m[2], m[7])
		}
	}
	if c == nil {
		if m := reCompact.FindStringSubmatchIndex(ns); m != nil {
			y, _ := strconv.Atoi(ns[m[2]:m[3]])
			mo, _ := strconv.Atoi(ns[m[4]:m[5]])
			d, _ := strconv.Atoi(ns[m[6]:m[7]])
			try(y, mo, d, m[2], m[7])
		}
	}
	if c == nil && len(ns) <= 24 {
		if m := reDMY2.FindStringSubmatchIndex(ns); m != nil {
			d, _ := strconv.Atoi(ns[m[2]:m[3]])
			mo, _ := strconv.Atoi(ns[m[4]:m[5]])
			y, _ := strconv.Atoi(ns[m[6]:m[7]])
			if y += 2000; y > now.Year() {
				y -= 100
			}
			try(y, mo, d, m[2], m[7])
		}
	}
	if c == nil && monthName {
		// Day and month without a year: the latest such day not after now.
		if m := reDayMon.FindStringSubmatchIndex(ns); m != nil {
			d, _ := strconv.Atoi(ns[m[2]:m[3]])
			mo := int(months[ns[m[4]:m[5]]])
			if yy := reTwoDigitYear.FindStringSubmatch(ns[m[5]:]); yy != nil && len(ns) <= 40 {
				// "14 Gennaio 20", "14-Jan-20" in a short date label: a
				// two-digit year, not a yearless date.
				y, _ := strconv.Atoi(yy[1])
				if y += 2000; y > now.Year() {
					y -= 100
				}
				try(y, mo, d, m[2], m[5]+len(yy[0]))
			} else {
				nl := now.In(loc)
				y := nl.Year()
				if time.Date(y, time.Month(mo), d, 0, 0, 0, 0, loc).After(nl) {
					y--
				}
				try(y, mo, d, m[2], m[5])
				if c != nil {
					c.k = yearless
				}
			}
		}
	}
	if c == nil {
		return parsed{}, false
	}
	p := parsed{kind: c.k}
	// A time of day: after the date (preferred) or before it.
	hh, mm, ss, zone := 0, 0, 0, loc
	rest := ns[c.end:]
	tm := reTime.FindStringSubmatchIndex(rest)
	if tm == nil || tm[0] > 40 {
		before := ns[:c.pos]
		if len(before) > 30 {
			before = before[len(before)-30:]
		}
		rest = before
		tm = reTime.FindStringSubmatchIndex(rest)
	}
	if tm != nil {
		p.hasTime = true
		hh, _ = strconv.Atoi(rest[tm[2]:tm[3]])
		mm, _ = strconv.Atoi(rest[tm[4]:tm[5]])
		if tm[6] >= 0 {
			ss, _ = strconv.Atoi(rest[tm[6]:tm[7]])
		}
		if tm[8] >= 0 {
			pm := strings.HasPrefix(rest[tm[8]:tm[9]], "p")
			if hh == 12 {
				hh = 0
			}
			if pm {
				hh += 12
			}
		}
		end := tm[1]
		if tm[8] < 0 && tm[6] >= 0 {
			end = tm[7]
		} else if tm[8] < 0 {
			end = tm[5]
		}
		if z, ok := parseZone(rest[end:]); ok {
			zone, p.zoned = z, true
		}
	}
	p.t = time.Date(c.y, time.Month(c.m), c.d, hh, mm, ss, 0, zone)
	return p, true
}

// layoutShaped reports whether s could match one of layouts: an ISO date
// (yyyy-mm-dd...) or a weekday-first RFC 1123 / Ruby date, 16 bytes or more.
func layoutShaped(s string) bool {
	if len(s) < 16 {
		return false
	}
	if s[0] >= '0' && s[0] <= '9' {
		return s[4] == '-' && s[7] == '-'
	}
	return s[3] == ',' || s[3] == ' '
}

// monthWords holds every word of every month name.
var monthWords = map[string]bool{}

func init() {
	for n := range months {
		for _, w := range strings.Fields(n) {
			monthWords[w] = true
		}
	}
}

// hasMonthWord reports whether a run of letters in the normalized s is a
// month name (or a word of one).
func hasMonthWord(s string) bool {
	start := -1
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			if monthWords[s[start:i]] {
				return true
			}
			start = -1
		}
	}
	return start >= 0 && monthWords[s[start:]]
}

// hasYear reports whether s contains 19xx or 20xx.
func hasYear(s string) bool {
	for i := 0; i+3 < len(s); i++ {
		if (s[i] == '1' && s[i+1] == '9' || s[i] == '2' && s[i+1] == '0') && isDigit(s[i+2]) && isDigit(s[i+3]) {
			return true
		}
	}
	return false
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// relativeWords are the words every relative date contains.
var relativeWords = []string{"əvvəl", "öncə", "назад", "ago", "önce", "bu gün", "bugün", "сегодня", "today", "heute",
	"dün", "вчера", "yesterday", "gestern", "позавчера", "srağagün", "sırağagün", "только что", "just now", "indicə", "şimdi"}

// relativeHint is a cheap filter before parseRelative's patterns.
func relativeHint(s string) bool {
	for _, w := range relativeWords {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// fixAbbrev repairs a time parsed with a zone abbreviation: Go gives
// abbreviations it does not know (MSK, AZT, ...) a zero offset. Known ones
// get their offset; unknown ones are read as local time in loc.
func fixAbbrev(t time.Time, loc *time.Location) parsed {
	name, off := t.Zone()
	if off != 0 || name == "" || name == "UTC" || name == "GMT" || name == "Z" || name == "UT" {
		return parsed{t: t, zoned: true, hasTime: true}
	}
	y, mo, d := t.Date()
	if h, ok := zoneOffsets[strings.ToLower(name)]; ok {
		return parsed{t: time.Date(y, mo, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.FixedZone(name, h*3600)), zoned: true, hasTime: true}
	}
	return parsed{t: time.Date(y, mo, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc), hasTime: true}
}

// isRange reports whether the text after a date continues it into a range
// ("2020/7/11-12"), which does not name one day.
func isRange(rest string) bool {
	return len(rest) >= 2 && (rest[0] == '-' || rest[0] == '/') && rest[1] >= '0' && rest[1] <= '9'
}

func parseZone(s string) (*time.Location, bool) {
	// skip fractional seconds
	s = strings.TrimLeft(s, ".,0123456789")
	m := reZone.FindStringSubmatch(s)
	if m == nil {
		return nil, false
	}
	switch {
	case m[1] != "", m[5] != "":
		return time.UTC, true
	case m[2] != "":
		h, _ := strconv.Atoi(m[3])
		mi, _ := strconv.Atoi(m[4])
		if h > 14 || mi > 59 {
			return nil, false
		}
		off := h*3600 + mi*60
		if m[2] != "+" {
			off = -off
		}
		return time.FixedZone("", off), true
	case m[6] != "":
		return time.FixedZone(strings.ToUpper(m[6]), zoneOffsets[m[6]]*3600), true
	}
	return nil, false
}

func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Relative dates.
var (
	reRelative = regexp.MustCompile(`(?:^|[^\p{L}\d])(\d+|an?|one|bir)\s*` +
		`(saniyə|san|dəqiqə|dəq|saat|gün|həftə|ay|il|` + // az
		`секунд[уы]?|сек|минут[уы]?|мин|час(?:а|ов)?|ч|дн(?:я|ей)|день|сут(?:ок|ки)|недел[юиь]|нед|месяц(?:а|ев)?|мес|год(?:а)?|лет|` + // ru
		`seconds?|secs?|minutes?|mins?|hours?|hrs?|h|days?|weeks?|months?|years?|` + // en
		`saniye|dakika|dk|hafta|yıl)` + // tr
		`\.?\s*(əvvəl|öncə|назад|ago|önce)(?:$|[^\p{L}])`)
	reToday     = regexp.MustCompile(`(?:^|[^\p{L}])(bu gün|bugün|сегодня|today|heute)(?:$|[^\p{L}])`)
	reYesterday = regexp.MustCompile(`(?:^|[^\p{L}])(dünən|dün|вчера|yesterday|gestern)(?:$|[^\p{L}])`)
	reDayBefore = regexp.MustCompile(`(?:^|[^\p{L}])(позавчера|srağagün|sırağagün)(?:$|[^\p{L}])`)
	reJustNow   = regexp.MustCompile(`(?:^|[^\p{L}])(только что|just now|indicə|az önce|şimdi)(?:$|[^\p{L}])`)
)

func parseRelative(s string, loc *time.Location, now time.Time) (time.Time, bool) {
	if m := reRelative.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil {
			n = 1
		}
		u := m[2]
		var d time.Duration
		switch {
		case strings.HasPrefix(u, "san") || strings.HasPrefix(u, "сек") || strings.HasPrefix(u, "sec"):
			d = time.Duration(n) * time.Second
		case strings.HasPrefix(u, "dəq") || strings.HasPrefix(u, "мин") || strings.HasPrefix(u, "min") || strings.HasPrefix(u, "dak") || u == "dk":
			d = time.Duration(n) * time.Minute
		case u == "saat" || strings.HasPrefix(u, "час") || u == "ч" || strings.HasPrefix(u, "hour") || strings.HasPrefix(u, "hr") || u == "h":
			d = time.Duration(n) * time.Hour
		case u == "gün" || strings.HasPrefix(u, "дн") || u == "день" || strings.HasPrefix(u, "сут") || strings.HasPrefix(u, "day"):
			return now.AddDate(0, 0, -n).In(loc), true
		case u == "həftə" || strings.HasPrefix(u, "нед") || strings.HasPrefix(u, "week") || u == "hafta":
			return now.AddDate(0, 0, -7*n).In(loc), true
		case u == "ay" || strings.HasPrefix(u, "мес") || strings.HasPrefix(u, "month"):
			return now.AddDate(0, -n, 0).In(loc), true
		case u == "il" || strings.HasPrefix(u, "год") || u == "лет" || strings.HasPrefix(u, "year") || u == "yıl":
			return now.AddDate(-n, 0, 0).In(loc), true
		default:
			return time.Time{}, false
		}
		return now.Add(-d).In(loc), true
	}
	if reJustNow.MatchString(s) {
		return now.In(loc), true
	}
	days := -1
	switch {
	case reDayBefore.MatchString(s):
		days = 2
	case reYesterday.MatchString(s):
		days = 1
	case reToday.MatchString(s):
		days = 0
	}
	if days < 0 {
		return time.Time{}, false
	}
	nl := now.In(loc)
	y, mo, d := nl.Date()
	hh, mm := 0, 0
	if tm := reTime.FindStringSubmatch(s); tm != nil {
		hh, _ = strconv.Atoi(tm[1])
		mm, _ = strconv.Atoi(tm[2])
		if tm[4] != "" {
			if hh == 12 {
				hh = 0
			}
			if strings.HasPrefix(tm[4], "p") {
				hh += 12
			}
		}
	}
	return time.Date(y, mo, d-days, hh, mm, 0, 0, loc), true
}
