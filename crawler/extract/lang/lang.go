// Package lang detects the language of article text and returns ISO 639-1
// codes ("az", "ru", "en", "tr", ...).
//
// Detection runs in two steps. A single pass over the text counts letters by
// script and a few decisive letters: Azerbaijani "ə" (absent from Turkish and
// every other Latin-script language we meet) settles az at once, and scripts
// used by one language (Georgian, Armenian, Greek, Hebrew, Hangul, kana, Thai)
// settle those; Cyrillic Ukrainian, Kazakh and Russian are told apart by their
// own letters. Otherwise the trigram detector github.com/RadhiFadlillah/whatlanggo
// (already linked by go-trafilatura; a few hundred kB of profiles), restricted
// to the candidate languages of the script, ranks a sample of the text, and
// Turkish/Azerbaijani function words settle that pair. The declared
// <html lang> hint decides when the text is too short or the detector is
// unsure, and never overrides a decisive signal.
//
// github.com/pemistahl/lingua-go was measured too and rejected: it embeds all
// its models, adding about 128 MB to the binary, and needed 35 MB of heap and
// 0.6 s to load the 37 languages we want, for no accuracy gain on our tests.
package lang

import (
	"strings"
	"unicode"

	"github.com/RadhiFadlillah/whatlanggo"
)

// Tuning constants.
const (
	// sampleBytes bounds the text handed to the trigram detector (time grows
	// linearly with length; 1 KiB of running text is plenty).
	sampleBytes = 800
	// minLetters is the text size below which the hint wins outright.
	minLetters = 12
	// unsure: below this whatlanggo confidence a plausible hint decides.
	unsure = 0.3
)

func set(ls ...whatlanggo.Lang) map[whatlanggo.Lang]bool {
	m := make(map[whatlanggo.Lang]bool, len(ls))
	for _, l := range ls {
		m[l] = true
	}
	return m
}

var (
	latinLangs = set(
		whatlanggo.Azj, whatlanggo.Tur, whatlanggo.Eng, whatlanggo.Deu, whatlanggo.Fra,
		whatlanggo.Spa, whatlanggo.Ita, whatlanggo.Por, whatlanggo.Nld, whatlanggo.Pol,
		whatlanggo.Ron, whatlanggo.Ces, whatlanggo.Swe, whatlanggo.Ind, whatlanggo.Hun,
		whatlanggo.Fin, whatlanggo.Dan, whatlanggo.Hrv, whatlanggo.Vie, whatlanggo.Lav,
		whatlanggo.Lit, whatlanggo.Est, whatlanggo.Slv, whatlanggo.Uzb, whatlanggo.Tuk,
		whatlanggo.Nob,
	)
	cyrillicLangs = set(whatlanggo.Rus, whatlanggo.Ukr, whatlanggo.Bel, whatlanggo.Bul, whatlanggo.Srp, whatlanggo.Mkd)
	arabicLangs   = set(whatlanggo.Arb, whatlanggo.Pes, whatlanggo.Urd)
)

// Detector detects languages. It holds no mutable state and is safe for
// concurrent use; the zero value and New() are ready to use.
type Detector struct{}

// New returns a Detector.
func New() *Detector { return &Detector{} }

// Detect is (&Detector{}).Detect: the language of text, with hint (a
// declared language such as "az", "ru-RU" or "en_US") deciding ties.
func Detect(text, hint string) string { return (&Detector{}).Detect(text, hint) }

// NormalizeHint turns a declared language tag ("az-Latn-AZ", "ru_RU", "EN")
// into its lowercase primary subtag, or "" when it is not a two- or
// three-letter code.
func NormalizeHint(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if n := len(tag); n < 2 || n > 3 {
		return ""
	}
	for _, c := range tag {
		if c < 'a' || c > 'z' {
			return ""
		}
	}
	switch tag {
	case "aze":
		return "az"
	case "rus":
		return "ru"
	case "eng":
		return "en"
	case "tur":
		return "tr"
	}
	return tag
}

type counts struct {
	letters, latin, cyrillic, arabic, georgian, armenian, greek, hebrew, hangul, kana, han, thai, devanagari int

	schwa       int // ə Ə (Latin) and ә Ә (Cyrillic)
	turkic      int // ğ ı ş (shared by az and tr)
	qx          int // q x: common in Azerbaijani, absent from native Turkish words
	ukrainian   int // і ї є ґ
	russianOnly int // ы э ъ ё
	kazakh      int // ғ қ ң ө ұ ү һ
	sampleEnd   int // byte offset where the detector's sample ends
}

func count(text string) counts {
	var c counts
	for i, r := range text {
		if c.sampleEnd == 0 && i >= sampleBytes {
			c.sampleEnd = i
		}
		if !unicode.IsLetter(r) {
			continue
		}
		c.letters++
		switch {
		case r < 0x250:
			c.latin++
			switch r {
			case 'ğ', 'Ğ', 'ı', 'ş', 'Ş', 'İ':
				c.turkic++
			case 'q', 'Q', 'x', 'X':
				c.qx++
			}
		case r == 'ə' || r == 'Ə':
			c.latin++
			c.schwa++
		case r >= 0x400 && r <= 0x52F:
			c.cyrillic++
			switch r {
			case 'і', 'ї', 'є', 'ґ', 'І', 'Ї', 'Є', 'Ґ':
				c.ukrainian++
			case 'ы', 'э', 'ъ', 'ё', 'Ы', 'Э', 'Ё':
				c.russianOnly++
			case 'ғ', 'қ', 'ң', 'ө', 'ұ', 'ү', 'һ', 'Ғ', 'Қ', 'Ң', 'Ө', 'Ұ', 'Ү', 'Һ':
				c.kazakh++
			case 'ә', 'Ә':
				c.schwa++
			}
		case r >= 0x600 && r <= 0x6FF, r >= 0x750 && r <= 0x77F, r >= 0xFB50 && r <= 0xFEFF:
			c.arabic++
		case r >= 0x10A0 && r <= 0x10FF:
			c.georgian++
		case r >= 0x530 && r <= 0x58F:
			c.armenian++
		case r >= 0x370 && r <= 0x3FF:
			c.greek++
		case r >= 0x590 && r <= 0x5FF:
			c.hebrew++
		case r >= 0xAC00 && r <= 0xD7AF, r >= 0x1100 && r <= 0x11FF:
			c.hangul++
		case r >= 0x3040 && r <= 0x30FF:
			c.kana++
		case r >= 0x4E00 && r <= 0x9FFF:
			c.han++
		case r >= 0xE00 && r <= 0xE7F:
			c.thai++
		case r >= 0x900 && r <= 0x97F:
			c.devanagari++
		case r >= 0x1E00 && r <= 0x1EFF:
			c.latin++ // Vietnamese etc.
		}
	}
	if c.sampleEnd == 0 {
		c.sampleEnd = len(text)
	}
	return c
}

// Detect returns the ISO 639-1 code of the language of text, or the
// normalized hint (possibly "") when the text gives no usable signal.
func (d *Detector) Detect(text, hint string) string {
	hint = NormalizeHint(hint)
	c := count(text)
	if c.letters < minLetters {
		if hint != "" {
			return hint
		}
		if c.letters == 0 {
			return ""
		}
	}
	// Dominant script.
	type sc struct {
		n    int
		code string
	}
	best := sc{}
	for _, s := range []sc{
		{c.latin, "latin"}, {c.cyrillic, "cyrillic"}, {c.arabic, "arabic"}, {c.georgian, "ka"},
		{c.armenian, "hy"}, {c.greek, "el"}, {c.hebrew, "he"}, {c.hangul, "ko"}, {c.kana + c.han, "cjk"},
		{c.thai, "th"}, {c.devanagari, "hi"},
	} {
		if s.n > best.n {
			best = s
		}
	}
	sample := text[:c.sampleEnd]
	switch best.code {
	case "":
		return hint
	case "cjk":
		if c.kana > 0 && c.kana*10 >= c.han {
			return "ja"
		}
		if hint == "ja" {
			return "ja"
		}
		return "zh"
	case "latin":
		// ə is about 7% of Azerbaijani letters and absent elsewhere.
		if c.schwa*200 >= c.latin {
			return "az"
		}
		if c.turkic == 0 && englishWords(sample) {
			return "en"
		}
		top := pick(latinLangs, sample, hint)
		// ğ ı ş are Turkish/Azerbaijani letters; Uzbek and Turkmen Latin
		// have none of them, so the detector's uz/tk means az or tr here.
		turkic := top == "az" || top == "tr" || (c.turkic > 0 && (top == "uz" || top == "tk"))
		if !turkic {
			return top
		}
		// Turkic text without ə (short, or typed without the letter):
		// function words decide, then the hint.
		switch w := azTrWords(sample); {
		case w == "az" || w == "tr":
			return w
		case c.latin >= 40 && c.qx == 0:
			return "tr"
		case c.latin >= 40 && c.qx*100 >= c.latin:
			return "az"
		case hint == "az" || hint == "tr":
			return hint
		case top == "uz" || top == "tk":
			return "az" // closer to the detector's pick than Turkish is
		}
		return top
	case "cyrillic":
		switch {
		case c.ukrainian > 0 && c.russianOnly == 0 && c.kazakh == 0:
			return "uk"
		case c.kazakh*100 >= c.cyrillic && c.kazakh > 1:
			return "kk"
		case c.russianOnly*100 >= c.cyrillic && c.ukrainian == 0 && c.kazakh == 0:
			return "ru"
		}
		return pick(cyrillicLangs, sample, hint)
	case "arabic":
		return pick(arabicLangs, sample, hint)
	}
	return best.code
}

// pick ranks sample among the candidate languages; a hint naming a
// candidate wins when the detector is unsure.
func pick(cands map[whatlanggo.Lang]bool, sample, hint string) string {
	info := whatlanggo.DetectWithOptions(sample, whatlanggo.Options{Whitelist: cands})
	top := ""
	if info.Lang >= 0 {
		top = info.Lang.Iso6391()
	}
	if hint != "" && hint != top && info.Confidence < unsure {
		for l := range cands {
			if l.Iso6391() == hint {
				return hint
			}
		}
	}
	if top == "" {
		return hint
	}
	return top
}

// Function words that tell Azerbaijani from Turkish when ə is missing
// (short headlines, ASCII-folded text).
var (
	azWords = map[string]bool{
		"və": true, "ve": false, "ilə": true, "üçün": true, "bildirib": true, "edib": true,
		"olub": true, "deyib": true, "qeyd": true, "həm": true, "hansı": true, "xəbər": true,
		"ildə": true, "azərbaycan": true, "bakı": true, "bakıda": true, "gün": false,
		"nazirliyi": true, "prezidenti": true, "olunub": true, "keçirilib": true, "yox": true,
		"çox": false, "deyil": true, "artıq": false, "isə": true, "həmçinin": true, "ki": false,
		"qədər": true, "sonra": true, "daha": false, "olaraq": true,
	}
	trWords = map[string]bool{
		"ve": true, "ile": true, "için": true, "bir": false, "olarak": true, "değil": true,
		"açıkladı": true, "dedi": true, "oldu": true, "yaptı": true, "sonra": true, "kadar": true,
		"türkiye": true, "bakanlığı": true, "cumhurbaşkanı": true, "ise": true, "ayrıca": true,
		"gibi": true, "çok": true, "daha": false, "yok": true, "şu": true, "bugün": true,
	}
)

// azTrWords returns "az", "tr", "tie" or "" (no Turkic function words).
func azTrWords(s string) string {
	az, tr := 0, 0
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' }) {
		w = strings.ToLowerSpecial(unicode.TurkishCase, w)
		if i := strings.IndexByte(w, '\''); i >= 0 {
			w = w[:i]
		}
		switch {
		case azWords[w] && !trWords[w]:
			az++
		case trWords[w] && !azWords[w]:
			tr++
		case len(w) >= 5 && (strings.HasSuffix(w, "ıb") || strings.HasSuffix(w, "ib") || strings.HasSuffix(w, "ub") || strings.HasSuffix(w, "üb")):
			az++ // Azerbaijani past participle: edib, olub, açılıb, görüşüb
		case len(w) >= 6 && (strings.HasSuffix(w, "yor") || strings.HasSuffix(w, "yordu") || strings.HasSuffix(w, "yorlar") || strings.HasSuffix(w, "miş") || strings.HasSuffix(w, "mış")):
			tr++ // Turkish present continuous and reported past
		}
	}
	switch {
	case az == 0 && tr == 0:
		return ""
	case az > tr:
		return "az"
	case tr > az:
		return "tr"
	}
	return "tie"
}

// englishWords reports whether English function words make up a large share
// of the words in s (English running text: about a fifth), which settles
// English without the statistical model.
func englishWords(s string) bool {
	words, en := 0, 0
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }) {
		words++
		switch strings.ToLower(w) {
		case "the", "of", "and", "to", "in", "is", "that", "for", "was", "with", "on", "by", "are", "has", "have", "from", "said", "it", "its", "at", "be", "this", "which", "were", "will":
			en++
		}
	}
	return words >= 8 && en*100 >= words*18
}
