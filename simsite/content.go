package simsite

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode"
)

// lang holds the word lists and date formats of one content language.
type lang struct {
	code       string
	subjects   []string
	verbs      []string
	objects    []string
	qualifiers []string
	fillers    []string // sentences with %[1]d for a number (5..20) and %[2]s for a name
	closers    []string
	firstNames []string // male
	femNames   []string // female; surnames get an "a"
	lastNames  []string
	tags       []string
	months     [12]string
	editTitle  string // appended to the title by an edit
	editPara   string // appended to the body by an edit, %d = version
}

var langEN = &lang{
	code: "en",
	subjects: []string{"Azerbaijan", "Baku", "The government", "The Ministry of Economy", "Parliament",
		"The central bank", "Experts", "Analysts", "The delegation", "Local authorities", "The energy company",
		"Regional investors", "The port of Alat", "Farmers in Shamakhi"},
	verbs: []string{"discuss", "announce", "review", "sign", "praise", "question", "examine", "approve",
		"expand", "postpone", "outline", "back"},
	objects: []string{"new energy corridor projects", "the regional transport agenda", "cooperation in the Caspian basin",
		"a draft budget for next year", "reforms in the banking sector", "the green energy strategy",
		"grain export routes", "tourism development plans", "digital infrastructure investment",
		"water management in Karabakh", "the Middle Corridor freight plan", "new rules for small businesses"},
	qualifiers: []string{"at a meeting in Baku", "during talks in Ganja", "amid rising demand", "in a statement on Friday",
		"after lengthy negotiations", "for the first time this year", "with international partners",
		"despite recent criticism", "ahead of the spring session", "in a joint declaration"},
	fillers: []string{
		"According to official data, the figure rose by %[1]d percent compared with last year, %[2]s said.",
		"%[2]s noted that about %[1]d specialists are involved in the work at this stage.",
		"The next round of consultations is expected within %[1]d days, according to %[2]s.",
		"Observers point out that the programme has been discussed for %[1]d months, %[2]s added.",
		"In an interview, %[2]s recalled that %[1]d similar agreements had been signed before.",
		"The budget of the initiative is estimated at %[1]d million manats, %[2]s told reporters.",
	},
	closers: []string{
		"The parties agreed to continue the dialogue.",
		"Further details are expected to be published later.",
		"The discussion will continue at the next meeting.",
		"Representatives of civil society also took part in the event.",
		"The statement was welcomed by regional partners.",
	},
	firstNames: []string{"Rauf", "Shahin", "Chingiz", "Elnur", "Tural", "Fuad", "Samir", "Vugar"},
	femNames:   []string{"Leyla", "Gunel", "Aygun", "Nigar", "Sevinj", "Aysel"},
	lastNames:  []string{"Mammadov", "Aliyev", "Huseynov", "Rasulov", "Gasimov", "Ismayilov", "Karimov", "Jafarov", "Abbasov", "Guliyev"},
	tags:       []string{"energy", "economy", "Caspian", "diplomacy", "transport", "Karabakh", "finance", "agriculture", "security", "climate"},
	months: [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September",
		"October", "November", "December"},
	editTitle: " (updated)",
	editPara:  "Update %d: the article has been revised with comments from the parties involved.",
}

var langAZ = &lang{
	code: "az",
	subjects: []string{"Azərbaycan", "Bakı şəhər icra hakimiyyəti", "İqtisadiyyat Nazirliyi", "Milli Məclis",
		"Mərkəzi Bank", "Ekspertlər", "Nümayəndə heyəti", "Yerli hakimiyyət", "Enerji şirkəti", "Gənc sahibkarlar",
		"Ölkənin iş adamları", "Şəki fermerləri"},
	verbs: []string{"müzakirə edib", "açıqlayıb", "nəzərdən keçirib", "imzalayıb", "yüksək qiymətləndirib",
		"tənqid edib", "araşdırıb", "təsdiqləyib", "genişləndirib", "təxirə salıb", "dəstəkləyib"},
	objects: []string{"yeni enerji dəhlizi layihələrini", "regional nəqliyyat gündəliyini", "Xəzər hövzəsində əməkdaşlığı",
		"gələn ilin büdcə layihəsini", "bank sektorunda islahatları", "yaşıl enerji strategiyasını",
		"taxıl ixracı marşrutlarını", "turizmin inkişafı planlarını", "rəqəmsal infrastruktura investisiyaları",
		"Qarabağda su idarəçiliyini", "Orta Dəhliz üzrə yükdaşıma planını", "kiçik biznes üçün yeni qaydaları"},
	qualifiers: []string{"Bakıda keçirilən görüşdə", "Gəncədə danışıqlar zamanı", "artan tələbat fonunda",
		"cümə günü yayılan bəyanatda", "uzun danışıqlardan sonra", "bu il ilk dəfə",
		"beynəlxalq tərəfdaşlarla birlikdə", "son tənqidlərə baxmayaraq", "yaz sessiyası öncəsi", "birgə bəyannamədə"},
	fillers: []string{
		"Rəsmi məlumata görə, göstərici ötən illə müqayisədə %[1]d faiz artıb, deyə %[2]s bildirib.",
		"%[2]s qeyd edib ki, hazırda işlərə təxminən %[1]d mütəxəssis cəlb olunub.",
		"Növbəti məsləhətləşmələrin %[1]d gün ərzində keçirilməsi gözlənilir, %[2]s çatdırıb.",
		"Müşahidəçilər proqramın %[1]d aydır müzakirə olunduğunu vurğulayırlar, %[2]s əlavə edib.",
		"%[2]s müsahibəsində xatırladıb ki, əvvəllər %[1]d oxşar saziş imzalanıb.",
		"Təşəbbüsün büdcəsi %[1]d milyon manat həcmində qiymətləndirilir, %[2]s jurnalistlərə deyib.",
	},
	closers: []string{
		"Tərəflər dialoqu davam etdirmək barədə razılığa gəliblər.",
		"Ətraflı məlumatın daha sonra açıqlanacağı gözlənilir.",
		"Müzakirələr növbəti görüşdə davam etdiriləcək.",
		"Tədbirdə vətəndaş cəmiyyətinin nümayəndələri də iştirak ediblər.",
		"Bəyanat regional tərəfdaşlar tərəfindən müsbət qarşılanıb.",
	},
	firstNames: []string{"Rauf", "Şahin", "Çingiz", "Elnur", "Tural", "Fuad", "Samir", "Vüqar"},
	femNames:   []string{"Leyla", "Günel", "Aygün", "Nigar", "Sevinc", "Aysel"},
	lastNames:  []string{"Məmmədov", "Əliyev", "Hüseynov", "Rəsulov", "Qasımov", "İsmayılov", "Kərimov", "Cəfərov", "Abbasov", "Quliyev"},
	tags:       []string{"enerji", "iqtisadiyyat", "Xəzər", "diplomatiya", "nəqliyyat", "Qarabağ", "maliyyə", "kənd təsərrüfatı", "təhlükəsizlik", "iqlim"},
	months: [12]string{"yanvar", "fevral", "mart", "aprel", "may", "iyun", "iyul", "avqust", "sentyabr",
		"oktyabr", "noyabr", "dekabr"},
	editTitle: " (yenilənib)",
	editPara:  "Yenilənmə %d: məqalə tərəflərin şərhləri ilə tamamlanıb.",
}

var langRU = &lang{
	code: "ru",
	subjects: []string{"Власти Азербайджана", "Депутаты Милли Меджлиса", "Эксперты", "Аналитики",
		"Представители Центробанка", "Члены делегации", "Местные власти", "Инвесторы", "Энергетики",
		"Участники рынка", "Фермеры Шеки", "Жители Баку"},
	verbs: []string{"обсудили", "одобрили", "рассмотрели", "поддержали", "раскритиковали", "изучили",
		"расширили", "отложили", "представили", "утвердили"},
	objects: []string{"новые проекты энергетического коридора", "региональную транспортную повестку",
		"сотрудничество в Каспийском бассейне", "проект бюджета на следующий год", "реформы банковского сектора",
		"стратегию зелёной энергетики", "маршруты экспорта зерна", "планы развития туризма",
		"инвестиции в цифровую инфраструктуру", "программу восстановления Карабаха",
		"план грузоперевозок по Среднему коридору", "новые правила для малого бизнеса"},
	qualifiers: []string{"на встрече в Баку", "в ходе переговоров в Гяндже", "на фоне растущего спроса",
		"в заявлении в пятницу", "после долгих переговоров", "впервые в этом году",
		"вместе с международными партнёрами", "несмотря на недавнюю критику", "накануне весенней сессии",
		"в совместной декларации"},
	fillers: []string{
		"По официальным данным, показатель вырос на %[1]d процентов по сравнению с прошлым годом, сообщил %[2]s.",
		"%[2]s отметил, что на данном этапе к работе привлечены около %[1]d специалистов.",
		"Следующий раунд консультаций ожидается в течение %[1]d дней, сообщил %[2]s.",
		"Наблюдатели указывают, что программа обсуждается уже %[1]d месяцев, добавил %[2]s.",
		"В интервью %[2]s напомнил, что ранее было подписано %[1]d подобных соглашений.",
		"Бюджет инициативы оценивается в %[1]d миллионов манатов, сообщил журналистам %[2]s.",
	},
	closers: []string{
		"Стороны договорились продолжить диалог.",
		"Подробности ожидаются позднее.",
		"Обсуждение продолжится на следующей встрече.",
		"В мероприятии также приняли участие представители гражданского общества.",
		"Заявление было положительно встречено региональными партнёрами.",
	},
	firstNames: []string{"Рауф", "Эльнур", "Шахин", "Чингиз", "Турал", "Фуад", "Самир", "Руслан", "Вугар", "Ильгар"},
	lastNames:  []string{"Мамедов", "Алиев", "Гусейнов", "Расулов", "Касумов", "Исмаилов", "Керимов", "Джафаров", "Аббасов", "Кулиев"},
	tags:       []string{"энергетика", "экономика", "Каспий", "дипломатия", "транспорт", "Карабах", "финансы", "сельское хозяйство", "безопасность", "климат"},
	months: [12]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
		"октября", "ноября", "декабря"},
	editTitle: " (обновлено)",
	editPara:  "Обновление %d: материал дополнен комментариями сторон.",
}

func langByCode(code string) *lang {
	switch code {
	case "az":
		return langAZ
	case "ru":
		return langRU
	default:
		return langEN
	}
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// headline builds one headline. English and Russian put the subject first,
// Azerbaijani puts the verb last.
func (l *lang) headline(r *rand.Rand) string {
	s, v, o, q := pick(r, l.subjects), pick(r, l.verbs), pick(r, l.objects), pick(r, l.qualifiers)
	switch l.code {
	case "az":
		return s + " " + q + " " + o + " " + v
	case "en":
		return s + " to " + v + " " + o + " " + q
	default:
		return s + " " + q + " " + v + " " + o
	}
}

// sentence builds one body sentence around a headline-like clause.
func (l *lang) sentence(r *rand.Rand, name string) string {
	switch r.IntN(3) {
	case 0:
		return capitalize(l.headline(r)) + "."
	case 1:
		return fmt.Sprintf(pick(r, l.fillers), 5+r.IntN(16), name)
	default:
		return pick(r, l.closers)
	}
}

// person returns a full name whose surname agrees with the given name.
// Russian texts use male names only, so that verbs agree ("сообщил").
func (l *lang) person(r *rand.Rand) string {
	if len(l.femNames) > 0 && r.IntN(3) == 0 {
		return pick(r, l.femNames) + " " + pick(r, l.lastNames) + "a"
	}
	return pick(r, l.firstNames) + " " + pick(r, l.lastNames)
}

// formatDate prints t the way outlets in this language do:
// "21 February 2025 18:17", "21 fevral 2025 18:17", "21 февраля 2025, 18:17".
func (l *lang) formatDate(t time.Time) string {
	sep := ""
	if l.code == "ru" {
		sep = ","
	}
	return fmt.Sprintf("%d %s %d%s %02d:%02d", t.Day(), l.months[t.Month()-1], t.Year(), sep, t.Hour(), t.Minute())
}

func capitalize(s string) string {
	for i, r := range s {
		return string(unicode.ToUpper(r)) + s[i+len(string(r)):]
	}
	return s
}

var translit = map[rune]string{
	'ə': "e", 'ğ': "g", 'ı': "i", 'ö': "o", 'ü': "u", 'ş': "sh", 'ç': "ch", 'i': "i",
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "yo", 'ж': "zh", 'з': "z", 'и': "i",
	'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t",
	'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "sch", 'ъ': "", 'ы': "y",
	'ь': "", 'э': "e", 'ю': "yu", 'я': "ya",
}

// slugify turns a title into an ASCII URL slug of at most about 80 bytes.
func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case r == '\u0307': // combining dot left by lowercasing "İ"
		case translit[r] != "" || r == 'ъ' || r == 'ь':
			b.WriteString(translit[r])
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
		if b.Len() >= 80 {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}
