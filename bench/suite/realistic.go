package suite

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/newswatch/newswatch/article"
)

// The realistic corpus: what analysts search, unlike simsite's corpus (a
// few hundred words, every query matching 10-50% of all articles).
//
//   - Each language (az 45%, ru 35%, en 20% of articles) has a vocabulary of
//     RealisticVocab words whose frequencies follow Zipf's law (s = 1.05):
//     the most frequent are real function words, the rest are made of the
//     language's syllables, with its inflections (Azerbaijani case endings
//     and plurals, Russian case endings, English -s/-ed/-ing).
//   - Articles have a topic (one of 12 sections); a fifth of their words
//     come from the topic's own vocabulary of 400 words, so topic words are
//     frequent in their section and rare elsewhere.
//   - Named entities (people, places, organisations: 3,000 per language)
//     have Zipf frequencies (s = 1.15): a few appear in a large share of
//     the news, most in a handful of articles; each article names 2 to 6,
//     inflected as the language does.
//   - Lengths: titles of 6-12 words, leads of 15-30, bodies log-normal
//     around 230 words (10% over 600), paragraphs of 2-5 sentences.
//   - Nine outlets with Zipf volumes, 300 authors per language (60% of
//     articles signed), publication times over RealisticSpan with fewer
//     articles at night and at weekends.

// Sizes of the realistic corpus's vocabularies.
const (
	RealisticVocab    = 30000
	RealisticEntities = 3000
	RealisticTopics   = 12
	RealisticSpan     = 2 * 365 * 24 * time.Hour
)

// RealisticEnd is the publication time of the realistic corpus's newest
// article.
var RealisticEnd = time.Date(2025, 2, 21, 18, 17, 0, 0, time.FixedZone("+04", 4*3600))

type rlang struct {
	code     string
	weight   float64
	words    []string   // by frequency rank
	topics   [][]string // per topic
	entities []entity   // by frequency rank
	authors  []string
	sections []string
	inflect  func(r *rand.Rand, w string) string
}

type entity struct {
	words []string // a person's first and last name, a place, an organisation
}

// Corpus is a generated realistic corpus: the vocabularies it draws from,
// which the query mix reads back.
type Realistic struct {
	seed    int64
	langs   []*rlang
	outlets []string
	zWords  *zipf
	zEnt    *zipf
	zTopic  *zipf
	zOutlet *zipf
}

// zipf draws ranks 0..n-1 with P(k) ~ 1/(k+1)^s by inverting the
// cumulative distribution.
type zipf struct{ cdf []float64 }

func newZipf(n int, s float64) *zipf {
	z := &zipf{cdf: make([]float64, n)}
	sum := 0.0
	for k := 0; k < n; k++ {
		sum += 1 / math.Pow(float64(k+1), s)
		z.cdf[k] = sum
	}
	for k := range z.cdf {
		z.cdf[k] /= sum
	}
	return z
}

func (z *zipf) draw(r *rand.Rand) int {
	u := r.Float64()
	lo, hi := 0, len(z.cdf)-1
	for lo < hi {
		m := (lo + hi) / 2
		if z.cdf[m] < u {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// p is the probability of rank k.
func (z *zipf) p(k int) float64 {
	if k == 0 {
		return z.cdf[0]
	}
	return z.cdf[k] - z.cdf[k-1]
}

var (
	azFunction = strings.Fields(`və bu ilə üçün da də ki bir olan olub edib görə isə həm daha artıq sonra əsasən həmçinin lakin ancaq belə hər bütün çox ilk yeni iki il gün ay əvvəl indi artıq bildirib qeyd deyə`)
	ruFunction = strings.Fields(`и в на с по не что к о из для за от у как это также его был была были будет а но при до после или уже об он она они года году который которые сообщил заявил более всех время`)
	enFunction = strings.Fields(`the of and to in a for on that with is was by as at from it be are has have said its will an this were which also after more than their been not but new year two first last who`)

	azSyll = strings.Fields(`ba qa ma na ra sa ta la da ya ka ca ça şa ğa xa va za be qə mə nə rə sə tə lə də yə kə cə çə şə gə xə və zə bı qı mı nı rı sı tı lı dı yı bi ki mi ni ri si ti li di yi bu qu mu nu ru su tu lu du yu bü kü mü nü rü sü tü lü dü yü bo qo mo no ro so to lo do yo bö kö mö nö rö sö tö lö dö al ar an as at əl ər ən əs ət il ir in is it ul ur un us ut`)
	ruSyll = strings.Fields(`ба ва га да жа за ка ла ма на па ра са та фа ха ца ча ша бе ве ге де же зе ке ле ме не пе ре се те фе хе це че ше би ви ги ди жи зи ки ли ми ни пи ри си ти фи хи ци чи ши бо во го до жо зо ко ло мо но по ро со то фо хо цо чо шо бу ву гу ду жу зу ку лу му ну пу ру су ту фу ху цу чу шу ар ан ал ас ат ер ен ел ес ет ир ин ил ис ит ор он ол ос от ур ун ул ус ут`)
	enSyll = strings.Fields(`ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo fu ga ge gi go gu ha he hi ho hu la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo wa we wi ter ment tion al er en an ar or in on ex con pro com per`)

	azFirst = strings.Fields(`Rauf Şahin Çingiz Elnur Tural Fuad Samir Vüqar Leyla Günel Aygün Nigar Sevinc Aysel Elçin Rəşad Orxan Ülvi Kamran Murad Nərmin Aytən Səbinə Fərid Anar Əli Zaur Elvin Nicat Ramil`)
	azLast  = strings.Fields(`Məmmədov Əliyev Hüseynov Rəsulov Qasımov İsmayılov Kərimov Cəfərov Abbasov Quliyev Həsənov Nəsirov Bağırov Səfərov Rzayev Vəliyev Zeynalov Orucov Şükürov Əhmədov`)
	ruFirst = strings.Fields(`Рауф Эльнур Шахин Чингиз Турал Фуад Самир Руслан Вугар Ильгар Анна Ольга Мария Елена Игорь Сергей Андрей Дмитрий Алексей Наталья Ирина Олег Павел Юрий Виктор`)
	ruLast  = strings.Fields(`Мамедов Алиев Гусейнов Расулов Касумов Исмаилов Керимов Джафаров Аббасов Кулиев Иванов Петров Смирнов Кузнецов Попов Соколов Лебедев Козлов Новиков Морозов`)
	enFirst = strings.Fields(`John Mary James Anna David Laura Michael Sarah Robert Emma Peter Kate Thomas Alice Daniel Rauf Leyla Tural Fuad Nigar`)
	enLast  = strings.Fields(`Smith Johnson Brown Taylor Wilson Davies Evans Thomas Roberts Walker Mammadov Aliyev Huseynov Rasulov Gasimov Karimov Jafarov Guliyev`)

	azPlaces = strings.Fields(`Bakı Gəncə Sumqayıt Şəki Şuşa Lənkəran Mingəçevir Naxçıvan Qarabağ Xankəndi Ağdam Füzuli Quba Qəbələ Şamaxı Zaqatala Ankara Moskva Tehran Tbilisi Vaşinqton Brüssel Paris Berlin London Pekin İstanbul Dubay Astana Daşkənd`)
	ruPlaces = strings.Fields(`Баку Гянджа Сумгайыт Шеки Шуша Ленкорань Мингячевир Нахчыван Карабах Ханкенди Агдам Физули Куба Габала Шамахы Закаталы Анкара Москва Тегеран Тбилиси Вашингтон Брюссель Париж Берлин Лондон Пекин Стамбул Дубай Астана Ташкент`)
	enPlaces = strings.Fields(`Baku Ganja Sumgait Sheki Shusha Lankaran Mingachevir Nakhchivan Karabakh Khankendi Aghdam Fuzuli Guba Gabala Shamakhi Zagatala Ankara Moscow Tehran Tbilisi Washington Brussels Paris Berlin London Beijing Istanbul Dubai Astana Tashkent`)

	realisticOutlets = strings.Fields(`report apa trend oxu azertag caliber news media bakuws`)
)

// Sections per language, one per topic.
var (
	azSections = []string{"Siyasət", "İqtisadiyyat", "Energetika", "Cəmiyyət", "İdman", "Mədəniyyət", "Hadisə", "Dünya", "Təhsil", "Səhiyyə", "Texnologiya", "Nəqliyyat"}
	ruSections = []string{"Политика", "Экономика", "Энергетика", "Общество", "Спорт", "Культура", "Происшествия", "Мир", "Образование", "Здоровье", "Технологии", "Транспорт"}
	enSections = []string{"Politics", "Economy", "Energy", "Society", "Sport", "Culture", "Incidents", "World", "Education", "Health", "Technology", "Transport"}
)

func pseudoWord(r *rand.Rand, syll []string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(syll[r.IntN(len(syll))])
	}
	return b.String()
}

// capitalize upper-cases the first letter of s (a rune, not a byte: most
// of the corpus is Cyrillic or Azerbaijani Latin).
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// vocabulary makes n distinct words: the function words first, then made
// words of 2-4 syllables (longer ones rarer, as in real vocabularies).
func vocabulary(r *rand.Rand, function, syll []string, n int, taken map[string]bool) []string {
	out := append([]string(nil), function...)
	for _, w := range function {
		taken[w] = true
	}
	for len(out) < n {
		k := 2 + r.IntN(2)
		if r.IntN(4) == 0 {
			k = 4
		}
		w := pseudoWord(r, syll, k)
		if taken[w] {
			continue
		}
		taken[w] = true
		out = append(out, w)
	}
	return out
}

// NewRealistic builds the vocabularies of a realistic corpus from seed.
func NewRealistic(seed int64) *Realistic {
	r := rand.New(rand.NewPCG(uint64(seed), 0x5ea7c4))
	c := &Realistic{seed: seed, outlets: realisticOutlets,
		zWords: newZipf(RealisticVocab, 1.05), zEnt: newZipf(RealisticEntities, 1.15),
		zTopic: newZipf(400, 1.0), zOutlet: newZipf(len(realisticOutlets), 0.8)}
	azSuf := []string{"da", "də", "dan", "dən", "ın", "in", "nın", "nin", "a", "ə", "ya", "yə", "ı", "i", "lar", "lər", "ları", "ləri", "dakı"}
	ruSuf := []string{"а", "у", "ом", "е", "ы", "ов", "ам", "ах", "ой", "ий"}
	enSuf := []string{"s", "ed", "ing", "s"}
	mk := func(code string, w float64, fn, syll, first, last, places, sections []string, suf []string, inflectP float64) *rlang {
		taken := map[string]bool{}
		l := &rlang{code: code, weight: w, sections: sections}
		l.words = vocabulary(r, fn, syll, RealisticVocab, taken)
		for t := 0; t < RealisticTopics; t++ {
			l.topics = append(l.topics, vocabulary(r, nil, syll, 400, taken))
		}
		// Entities: the places first (the most named), then people and
		// organisations, shuffled into one frequency ranking.
		var ents []entity
		for _, p := range places {
			ents = append(ents, entity{words: []string{p}})
		}
		for len(ents) < RealisticEntities {
			switch r.IntN(3) {
			case 0, 1:
				ents = append(ents, entity{words: []string{first[r.IntN(len(first))], last[r.IntN(len(last))]}})
			default:
				org := capitalize(string([]rune(pseudoWord(r, syll, 1))[:1])) + pseudoWord(r, syll, 2)
				ents = append(ents, entity{words: []string{org}})
			}
		}
		rest := ents[len(places)/2:]
		r.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
		l.entities = ents
		for i := 0; i < 300; i++ {
			l.authors = append(l.authors, first[r.IntN(len(first))]+" "+last[r.IntN(len(last))])
		}
		l.inflect = func(r *rand.Rand, w string) string {
			if r.Float64() < inflectP {
				return w + suf[r.IntN(len(suf))]
			}
			return w
		}
		return l
	}
	c.langs = []*rlang{
		mk("az", 0.45, azFunction, azSyll, azFirst, azLast, azPlaces, azSections, azSuf, 0.45),
		mk("ru", 0.35, ruFunction, ruSyll, ruFirst, ruLast, ruPlaces, ruSections, ruSuf, 0.5),
		mk("en", 0.20, enFunction, enSyll, enFirst, enLast, enPlaces, enSections, enSuf, 0.2),
	}
	return c
}

// Articles generates n articles deterministically and hands them to fn in
// batches of at most batch, newest first, in constant memory.
func (c *Realistic) Articles(n, batch int, fn func([]article.Article) error) error {
	if batch <= 0 {
		batch = 1000
	}
	interval := RealisticSpan / time.Duration(max(n, 1))
	buf := make([]article.Article, 0, batch)
	for i := 0; i < n; i++ {
		a, err := c.article(i, interval)
		if err != nil {
			return err
		}
		buf = append(buf, a)
		if len(buf) == batch || i == n-1 {
			if err := fn(buf); err != nil {
				return err
			}
			buf = make([]article.Article, 0, batch)
		}
	}
	return nil
}

func (c *Realistic) lang(r *rand.Rand) *rlang {
	u := r.Float64()
	for _, l := range c.langs {
		if u < l.weight {
			return l
		}
		u -= l.weight
	}
	return c.langs[0]
}

// article i (0 = newest).
func (c *Realistic) article(i int, interval time.Duration) (article.Article, error) {
	r := rand.New(rand.NewPCG(uint64(c.seed), uint64(i)+1))
	l := c.lang(r)
	topic := r.IntN(RealisticTopics)
	ents := make([]entity, 2+r.IntN(5))
	for k := range ents {
		ents[k] = l.entities[c.zEnt.draw(r)]
	}
	word := func() string {
		switch {
		case r.IntN(5) == 0:
			return l.inflect(r, l.topics[topic][c.zTopic.draw(r)])
		case r.IntN(25) == 0:
			e := ents[r.IntN(len(ents))]
			ws := append([]string(nil), e.words...)
			ws[len(ws)-1] = l.inflect(r, ws[len(ws)-1])
			return strings.Join(ws, " ")
		default:
			k := c.zWords.draw(r)
			if k < 40 {
				return l.words[k] // function words are not inflected
			}
			return l.inflect(r, l.words[k])
		}
	}
	sentence := func(n int) string {
		ws := make([]string, n)
		for k := range ws {
			ws[k] = word()
		}
		s := strings.Join(ws, " ")
		return capitalize(s)
	}
	// The title names the first entity; the lead repeats as the body's
	// first paragraph, as outlets print it.
	title := strings.Join(ents[0].words, " ") + " " + sentence(5+r.IntN(7))
	lead := sentence(15+r.IntN(16)) + "."
	bodyWords := int(math.Exp(5.45 + 0.6*r.NormFloat64()))
	bodyWords = min(max(bodyWords, 40), 3000)
	var paras []string
	paras = append(paras, lead)
	for written := 0; written < bodyWords; {
		var ss []string
		for s := 0; s < 2+r.IntN(4) && written < bodyWords; s++ {
			n := 8 + r.IntN(18)
			ss = append(ss, sentence(n)+".")
			written += n
		}
		paras = append(paras, strings.Join(ss, " "))
	}
	outlet := c.outlets[c.zOutlet.draw(r)]
	// Publication: spread back from the end, with day/night and weekday
	// rhythm (articles at night and at weekends are thinned out).
	pub := RealisticEnd.Add(-time.Duration(i) * interval)
	if h := pub.Hour(); h < 7 || h > 22 {
		pub = pub.Add(time.Duration(8+r.IntN(8)) * time.Hour)
	}
	if wd := pub.Weekday(); (wd == time.Saturday || wd == time.Sunday) && r.IntN(2) == 0 {
		pub = pub.AddDate(0, 0, -2)
	}
	pub = pub.Truncate(time.Minute)
	a := article.Article{
		URL:         fmt.Sprintf("https://%s.example/%s/%d/%d", outlet, l.code, c.seed, i),
		Outlet:      outlet,
		Title:       title,
		Lead:        lead,
		Body:        strings.Join(paras, "\n\n"),
		Section:     l.sections[topic],
		Language:    l.code,
		Tags:        []string{l.topics[topic][r.IntN(20)], strings.Join(ents[0].words, " ")},
		PublishedAt: &pub, DateSource: article.DateSourceJSONLD,
		FetchedAt: pub.Add(3 * time.Minute).UTC(),
	}
	if r.IntN(10) < 6 {
		a.Authors = []string{l.authors[r.IntN(len(l.authors))]}
	}
	if err := a.Finalize(); err != nil {
		return a, fmt.Errorf("realistic article %d: %w", i, err)
	}
	return a, nil
}
