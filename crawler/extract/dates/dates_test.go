package dates

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

var (
	baku   = mustLoc("Asia/Baku")
	moscow = mustLoc("Europe/Moscow")
	// now is the fetch time used throughout: 22 Feb 2025 12:00 in Baku.
	now = time.Date(2025, 2, 22, 12, 0, 0, 0, baku)
)

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func TestParseText(t *testing.T) {
	cases := []struct {
		name, in string
		loc      *time.Location
		want     string // RFC 3339, "" for rejection
	}{
		// Azerbaijani
		{"az month name", "21 fevral 2025 18:17", baku, "2025-02-21T18:17:00+04:00"},
		{"az dotted with bar", "21.02.2025 | 18:17", baku, "2025-02-21T18:17:00+04:00"},
		{"az capitalised", "21 Fevral 2025, 18:17", baku, "2025-02-21T18:17:00+04:00"},
		{"az time first", "18:17, 21 fevral 2025", baku, "2025-02-21T18:17:00+04:00"},
		{"az year suffix", "2025-ci il 21 fevral", baku, "2025-02-21T00:00:00+04:00"},
		{"az dotted capital I", "3 İyun 2024 09:05", baku, "2024-06-03T09:05:00+04:00"},
		{"az genitive", "21 fevralın 2025", baku, "2025-02-21T00:00:00+04:00"},
		{"az avqust", "5 avqust 2024", baku, "2024-08-05T00:00:00+04:00"},
		// Russian
		{"ru genitive", "21 февраля 2025, 18:17", baku, "2025-02-21T18:17:00+04:00"},
		{"ru with г.", "1 марта 2024 г. в 09:30", moscow, "2024-03-01T09:30:00+03:00"},
		{"ru abbreviation", "12 дек. 2024", moscow, "2024-12-12T00:00:00+03:00"},
		{"ru nominative", "Январь 5, 2025", moscow, "2025-01-05T00:00:00+03:00"},
		{"ru msk zone", "21.02.2025 18:17 МСК", baku, "2025-02-21T18:17:00+03:00"},
		// English
		{"en day month", "21 February 2025 18:17", baku, "2025-02-21T18:17:00+04:00"},
		{"en month day", "Feb 21, 2025", baku, "2025-02-21T00:00:00+04:00"},
		{"en ordinal pm zone", "Feb. 21st, 2025 6:17 PM EST", baku, "2025-02-21T18:17:00-05:00"},
		{"en 12am", "February 21, 2025 12:05 am", time.UTC, "2025-02-21T00:05:00Z"},
		{"en rfc1123", "Fri, 21 Feb 2025 18:17:00 +0000", baku, "2025-02-21T18:17:00Z"},
		{"rfc1123 known abbreviation", "Fri, 21 Feb 2025 18:17:00 MSK", baku, "2025-02-21T18:17:00+03:00"},
		{"rfc1123 unknown abbreviation is local", "Fri, 21 Feb 2025 18:17:00 XYZ", baku, "2025-02-21T18:17:00+04:00"},
		{"rfc1123 GMT", "Fri, 21 Feb 2025 14:17:00 GMT", baku, "2025-02-21T14:17:00Z"},
		{"en us numeric", "02/21/2025", time.UTC, "2025-02-21T00:00:00Z"},
		{"de spaced dotted", "Von DTB 4.\u20092.\u20092022.", time.UTC, "2022-02-04T00:00:00Z"},
		{"de spaced dotted two spaces", "am 4.  2.  2022", time.UTC, "2022-02-04T00:00:00Z"},
		// Turkish
		{"tr", "21 Şubat 2025", baku, "2025-02-21T00:00:00+04:00"},
		{"tr with time", "21 Şubat 2025 Cuma 18:17", time.UTC, "2025-02-21T18:17:00Z"},
		{"tr aralık", "3 Aralık 2024", time.UTC, "2024-12-03T00:00:00Z"},
		// Other European and Asian forms seen on news sites
		{"de", "21. Februar 2025, 18:17 Uhr", time.UTC, "2025-02-21T18:17:00Z"},
		{"fr", "21 février 2025 à 18h17", time.UTC, "2025-02-21T00:00:00Z"},
		{"es", "21 de febrero de 2025", time.UTC, "2025-02-21T00:00:00Z"},
		{"cjk", "2025年2月21日 18:17", time.UTC, "2025-02-21T18:17:00Z"},
		{"two-digit year label", "21.02.25 18:17", time.UTC, "2025-02-21T18:17:00Z"},
		{"arabic month", "الجمعة، 21 فبراير 2025 - 06:17 م", time.UTC, "2025-02-21T06:17:00Z"},
		// Machine formats
		{"iso offset", "2025-02-21T18:17:00+03:00", baku, "2025-02-21T18:17:00+03:00"},
		{"iso Z fraction", "2025-02-21T14:17:00.123Z", baku, "2025-02-21T14:17:00.123Z"},
		{"iso no zone uses loc", "2025-02-21T18:17:00", baku, "2025-02-21T18:17:00+04:00"},
		{"iso basic offset", "2025-02-21T18:17:00+0400", time.UTC, "2025-02-21T18:17:00+04:00"},
		{"date only uses loc", "2025-02-21", baku, "2025-02-21T00:00:00+04:00"},
		{"space separated with zone", "2025-02-21 18:17:00 +0300", time.UTC, "2025-02-21T18:17:00+03:00"},
		{"unix seconds", "1740147420", baku, "2025-02-21T18:17:00+04:00"},
		{"nil location is UTC", "21.02.2025 18:17", nil, "2025-02-21T18:17:00Z"},
		// Relative, against now = 2025-02-22 12:00 +04:00
		{"az hours ago", "2 saat əvvəl", baku, "2025-02-22T10:00:00+04:00"},
		{"az minutes ago", "15 dəqiqə öncə", baku, "2025-02-22T11:45:00+04:00"},
		{"az yesterday", "Dünən, 14:30", baku, "2025-02-21T14:30:00+04:00"},
		{"az today", "Bu gün 09:10", baku, "2025-02-22T09:10:00+04:00"},
		{"ru hours ago", "2 часа назад", baku, "2025-02-22T10:00:00+04:00"},
		{"ru minutes ago", "5 минут назад", baku, "2025-02-22T11:55:00+04:00"},
		{"ru yesterday", "вчера в 14:30", baku, "2025-02-21T14:30:00+04:00"},
		{"ru today", "Сегодня, 08:00", baku, "2025-02-22T08:00:00+04:00"},
		{"en hours ago", "2 hours ago", baku, "2025-02-22T10:00:00+04:00"},
		{"en an hour ago", "an hour ago", baku, "2025-02-22T11:00:00+04:00"},
		{"en days ago", "3 days ago", baku, "2025-02-19T12:00:00+04:00"},
		{"en yesterday pm", "Yesterday at 3:15 PM", baku, "2025-02-21T15:15:00+04:00"},
		{"tr hours ago", "3 saat önce", baku, "2025-02-22T09:00:00+04:00"},
		{"tr yesterday", "Dün 10:00", baku, "2025-02-21T10:00:00+04:00"},
		{"yearless is latest past", "21 fevral 18:17", baku, "2025-02-21T18:17:00+04:00"},
		{"yearless in future month goes back a year", "5 mart", baku, "2024-03-05T00:00:00+04:00"},
		{"two-digit year after a month name", "( Pescasseroli, 14 Gennaio 20 )", time.UTC, "2020-01-14T00:00:00Z"},
		{"two-digit year of the last century", "3 March 98", time.UTC, "1998-03-03T00:00:00Z"},
		{"an hour is not a year", "14 Gennaio 20:30", time.UTC, "2025-01-14T20:30:00Z"},
		// Rejections
		{"future", "2025-03-01", baku, ""},
		{"future hours", "22.02.2025 18:00", baku, ""},
		{"too old", "12 May 1990", baku, ""},
		{"invalid day", "31.02.2025", baku, ""},
		{"not a date", "Views: 406", baku, ""},
		{"empty", "   ", baku, ""},
		{"range is not a day", "2025/2/11-12", baku, ""},
		{"word today in a long sentence has no digits", strings.Repeat("Bu gün baş verən hadisələr haqqında ətraflı məlumat ", 3), baku, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := ParseText(c.in, c.loc, now)
			if c.want == "" {
				if ok {
					t.Fatalf("ParseText(%q) = %s, want rejection", c.in, got.Format(time.RFC3339))
				}
				return
			}
			if !ok {
				t.Fatalf("ParseText(%q) rejected, want %s", c.in, c.want)
			}
			if s := got.Format(time.RFC3339Nano); s != c.want {
				t.Errorf("ParseText(%q) = %s, want %s", c.in, s, c.want)
			}
		})
	}
}

func TestParseTextZeroNow(t *testing.T) {
	if _, ok := ParseText("2 hours ago", nil, time.Time{}); !ok {
		t.Fatal("zero now should mean time.Now()")
	}
}

func doc(t *testing.T, s string) *html.Node {
	t.Helper()
	n, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFind(t *testing.T) {
	cases := []struct {
		name, html, url string
		loc             *time.Location
		wantPub         string // RFC 3339 or ""
		wantMod         string
		wantSrc         string
	}{
		{
			name: "verb-final publication label",
			html: `<body><h1>x</h1><p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.</p>
				<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p><p>a</p><p>b</p><p>c</p><p>d</p><p>e</p><p>f</p><p>g</p><p>h</p><p>i</p><p>j</p><p>k</p>
				<p><small>Dieser Beitrag wurde am Samstag, 3. Dezember 2011 um 10:00 Uhr veröffentlicht.</small></p></body>`,
			wantPub: "2011-12-03T10:00:00Z", wantSrc: "text",
		},
		{
			name: "dateModified backs the visible dateline",
			html: `<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2017-08-21T13:09:00Z","dateModified":"2019-04-03T08:04:01Z"}</script>
				<body><h1>x</h1><div class="entry-date">03.04.2019</div></body>`,
			wantPub: "2019-04-03T00:00:00Z", wantMod: "2019-04-03T08:04:01Z", wantSrc: "text",
		},
		{
			name: "title h1 chosen over a logo h1; date before an Updated label",
			html: `<html><head><title>Colder Temperatures Forecast for Wed. | KBS WORLD</title></head><body>
				<h1><a href="/">KBS WORLD</a></h1><div>` + strings.Repeat("<p>menu</p>", 120) + `</div>
				<h1>Colder Temperatures Forecast for Wed.</h1><p class="date">Written: 2023-11-07 15:03:30 / Updated: 2023-11-08 09:00:00</p></body></html>`,
			wantPub: "2023-11-07T15:03:30Z", wantSrc: "text",
		},
		{
			name: "verb-final label with the date in earlier text nodes",
			html: `<body><h1>Literatur</h1>` + strings.Repeat("<p>x</p>", 30) + `<p><a href="/x">Literatur</a> wurde am <nobr>19. Mai 2010</nobr> um <nobr>23:03</nobr> Uhr gepostet und unter <a href="/c">Kunst</a> abgelegt.</p>
				<form><p>Deine E-Mail-Adresse wird nicht veröffentlicht.</p></form></body>`,
			wantPub: "2010-05-19T23:03:00Z", wantSrc: "text",
		},
		{
			name: "reader comment dates are skipped",
			html: `<body><h1>Roomba</h1><div class="commentlist"><div class="comment-meta commentmetadata"><a href="#c1">15. Dezember 2015 at 11:21</a></div></div>
				<div class="post-date">14. Dezember 2015</div></body>`,
			wantPub: "2015-12-14T00:00:00Z", wantSrc: "text",
		},
		{
			name: "no h1: the heading the title names; related-story list dates skipped",
			html: `<html><head><title>Australian megablaze brought under control | Star</title></head><body>
				<div class="banner"><h2>Australian megablaze brought under control</h2><p>News24<br>13 Jan 2020, 22:11 GMT+10</p></div>
				<ul><li><a href="/other">Customs officer arrested with a chimpanzee</a> <span class="post-date">09/09/2019</span></li></ul></body></html>`,
			wantPub: "2020-01-13T22:11:00+10:00", wantSrc: "text",
		},
		{
			name: "no h1 and a site name for title: the only heading is the story's title",
			html: `<html><head><title>Gemeinde-Union e.V.</title></head><body>
				<ul><li>Archiv<ul><li>16.06.2016</li><li><a href="/a">Ältere Meldung</a></li><li>27.09.2016</li></ul></li></ul>
				<div class="row">Nachrichten und Pressemeldungen<div><p>2021-10-16 | Botschaft<br><h4>Die Nacht sei gesegnet!</h4></p><p>Morgen Abend ist die Nacht.</p></div></div></body></html>`,
			wantPub: "2021-10-16T00:00:00Z", wantSrc: "text",
		},
		{
			name:    "data-date attribute in the article header",
			html:    `<body><article><header><h1>Achtsam durch die Krise</h1><div class="timeline"><div data-date="18. März 2020" class="timeline__arrow"></div></div></header><p>Text.</p></article></body>`,
			wantPub: "2020-03-18T00:00:00Z", wantSrc: "time",
		},
		{
			name:    "az verb-final label",
			html:    `<body><h1>Xəbər</h1>` + strings.Repeat("<p>mətn</p>", 20) + `<p>Bu xəbər 21 fevral 2025, 18:17 tarixində dərc olunub</p></body>`,
			loc:     baku,
			wantPub: "2025-02-21T18:17:00+04:00", wantSrc: "text",
		},
		{
			name:    "byline list item linking to the day's archive is not a teaser",
			html:    `<body><h1>Xəbər başlığı</h1><ul class="meta"><li class="date"><a href="/archive/2025-02-21">21 fevral 2025</a></li><li><a href="/siyaset">Siyasət</a></li></ul></body>`,
			loc:     baku,
			wantPub: "2025-02-21T00:00:00+04:00", wantSrc: "text",
		},
		{
			name:    "both labels, modification first",
			html:    `<body><h1>Xəbər başlığı</h1><div class="news-date">Yenilənib: 22.02.2025 10:00 | Dərc olunub: 21.02.2025 18:17</div></body>`,
			loc:     baku,
			wantPub: "2025-02-21T18:17:00+04:00", wantSrc: "text",
		},
		{
			name:    "publication label after a modification label in one text",
			html:    `<body><h1>Titel</h1><p>Aktualisiert am 22.02.2025, 10:00 Uhr – veröffentlicht am 21.02.2025, 18:17 Uhr</p></body>`,
			wantPub: "2025-02-21T18:17:00Z", wantSrc: "text",
		},
		{
			name: "jsonld newsarticle",
			html: `<html><head><script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",
				"headline":"x","datePublished":"2025-02-21T18:17:00+04:00","dateModified":"2025-02-21T19:00:00+04:00"}</script></head><body><h1>x</h1></body></html>`,
			wantPub: "2025-02-21T18:17:00+04:00", wantMod: "2025-02-21T19:00:00+04:00", wantSrc: "jsonld",
		},
		{
			name: "jsonld graph prefers article over webpage",
			html: `<script type="application/ld+json">{"@context":"https://schema.org","@graph":[
				{"@type":"WebPage","datePublished":"2024-01-01T00:00:00Z"},
				{"@type":["NewsArticle"],"datePublished":"2025-02-20T10:00:00+04:00"}]}</script>`,
			wantPub: "2025-02-20T10:00:00+04:00", wantSrc: "jsonld",
		},
		{
			name: "jsonld array of objects and value arrays",
			html: `<script type="application/ld+json">[{"@type":"Organization","name":"x"},
				{"@type":"Article","datePublished":["2025-02-19T08:00:00+04:00"]}]</script>`,
			wantPub: "2025-02-19T08:00:00+04:00", wantSrc: "jsonld",
		},
		{
			name: "jsonld ignores related items",
			html: `<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2025-02-18T08:00:00+04:00",
				"isPartOf":{"@type":"Article","datePublished":"2020-01-01"},
				"itemListElement":[{"@type":"NewsArticle","datePublished":"2025-02-21T08:00:00+04:00"}]}</script>`,
			wantPub: "2025-02-18T08:00:00+04:00", wantSrc: "jsonld",
		},
		{
			name:    "broken jsonld falls back to the key",
			html:    `<script type="application/ld+json">{"@type":"NewsArticle", "datePublished": "2025-02-17T08:00:00+04:00",}</script>`,
			wantPub: "2025-02-17T08:00:00+04:00", wantSrc: "jsonld",
		},
		{
			name: "jsonld without offset uses outlet zone",
			html: `<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2025-02-21 18:17"}</script>`,
			loc:  baku, wantPub: "2025-02-21T18:17:00+04:00", wantSrc: "jsonld",
		},
		{
			name: "meta article:published_time",
			html: `<head><meta property="article:published_time" content="2025-02-21T14:17:00Z">
				<meta property="article:modified_time" content="2025-02-21T15:00:00Z"></head>`,
			loc: baku, wantPub: "2025-02-21T18:17:00+04:00", wantMod: "2025-02-21T19:00:00+04:00", wantSrc: "meta",
		},
		{
			name:    "meta itemprop datePublished",
			html:    `<body><div itemscope><meta itemprop="datePublished" content="2025-02-20"></div></body>`,
			loc:     baku,
			wantPub: "2025-02-20T00:00:00+04:00", wantSrc: "meta",
		},
		{
			name:    "meta parsely-page",
			html:    `<meta name="parsely-page" content='{"title":"x","pub_date":"2025-02-20T09:00:00Z"}'>`,
			wantPub: "2025-02-20T09:00:00Z", wantSrc: "meta",
		},
		{
			name:    "meta sailthru and DC.date",
			html:    `<meta name="sailthru.date" content="2025-02-19 10:00:00"><meta name="DC.date" content="2025-02-01">`,
			loc:     baku,
			wantPub: "2025-02-19T10:00:00+04:00", wantSrc: "meta",
		},
		{
			name:    "time element with pubdate",
			html:    `<article><h1>T</h1><time datetime="2025-02-21T18:17:00+04:00" pubdate>21 fevral</time></article>`,
			wantPub: "2025-02-21T18:17:00+04:00", wantSrc: "time",
		},
		{
			name:    "time element text only",
			html:    `<article><h1>T</h1><time>21 февраля 2025, 18:17</time></article>`,
			loc:     baku,
			wantPub: "2025-02-21T18:17:00+04:00", wantSrc: "time",
		},
		{
			name:    "url date",
			html:    `<html><body><h1>Title</h1><p>text</p></body></html>`,
			url:     "https://example.az/news/2025/02/21/some-story",
			loc:     baku,
			wantPub: "2025-02-21T00:00:00+04:00", wantSrc: "url",
		},
		{
			name:    "url compact date",
			html:    `<h1>Title</h1>`,
			url:     "https://example.com/a/20250220-story.html",
			wantPub: "2025-02-20T00:00:00Z", wantSrc: "url",
		},
		{
			name: "caliber-like visible date under the title",
			html: `<body><nav><a>Home</a></nav><div class="section">ANALYTICS</div><h1>Headline</h1>
				<div class="article-date">21 February 2025 18:17</div><p>Body text.</p><div class="views">Views: 406</div></body>`,
			loc: baku, wantPub: "2025-02-21T18:17:00+04:00", wantSrc: "text",
		},
		{
			name: "az visible date",
			html: `<h1>Başlıq</h1><span class="news-date">21.02.2025 | 18:17</span><p>Mətn</p>`,
			loc:  baku, wantPub: "2025-02-21T18:17:00+04:00", wantSrc: "text",
		},
		{
			name: "logo h1 is not the title",
			html: `<header><h1><a href="/"><img src="logo.png"></a></h1></header>` + strings.Repeat(`<div class="x"><span>menu</span></div>`, 100) +
				`<article><h1>Real headline</h1><div class="post-date">21.02.2025 18:17</div><p>Body</p></article>`,
			loc: baku, wantPub: "2025-02-21T18:17:00+04:00", wantSrc: "text",
		},
		{
			name:    "ru relative visible date",
			html:    `<h1>Заголовок</h1><span class="date">2 часа назад</span><p>Текст</p>`,
			loc:     baku,
			wantPub: "2025-02-22T10:00:00+04:00", wantSrc: "text",
		},
		{
			name:    "labeled publication date beats update label",
			html:    `<h1>T</h1><p>Updated: 21.02.2025 17:00</p><p>Published: 20.02.2025 09:00</p>`,
			loc:     baku,
			wantPub: "2025-02-20T09:00:00+04:00", wantSrc: "text",
		},
		{
			name:    "future structured date is rejected, next source used",
			html:    `<meta property="article:published_time" content="2026-01-01T00:00:00Z"><h1>T</h1><span class="date">21 fevral 2025</span>`,
			loc:     baku,
			wantPub: "2025-02-21T00:00:00+04:00", wantSrc: "text",
		},
		{
			name:    "implausible old date rejected",
			html:    `<meta property="article:published_time" content="1970-01-01T00:00:00Z">`,
			wantPub: "", wantSrc: "",
		},
		{
			name: "utc stamp shown in page's local offset",
			html: `<meta property="article:published_time" content="2023-11-09T01:09:55+00:00">
				<article><h1>T</h1><time datetime="2023-11-08T18:09:55-07:00">Nov 8</time></article>`,
			wantPub: "2023-11-08T18:09:55-07:00", wantSrc: "meta",
		},
		{
			name: "utc stamp shown on the day of the page's date-only dateline",
			html: `<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2023-11-01T23:01:00Z"}</script>
				<meta property="article:published_time" content="2023-11-01T23:01:00Z">
				<body><article><h1>Titolo</h1><span class="data">02 Novembre 2023</span><p>Testo.</p></article></body>`,
			wantPub: "2023-11-02T00:01:00+01:00", wantSrc: "jsonld",
		},
		{
			name: "a dateline of the stamp's own utc day moves nothing",
			html: `<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2023-11-01T23:01:00Z"}</script>
				<body><article><h1>Titolo</h1><span class="data">01 Novembre 2023</span><p>Testo.</p></article></body>`,
			wantPub: "2023-11-01T23:01:00Z", wantSrc: "jsonld",
		},
		{
			name: "a dateline two days away is no zone evidence",
			html: `<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2023-11-01T23:01:00Z"}</script>
				<meta property="article:published_time" content="2023-11-01T23:01:00Z">
				<body><article><h1>Titolo</h1><span class="data">03 Novembre 2023</span><p>Testo.</p></article></body>`,
			wantPub: "2023-11-01T23:01:00Z", wantSrc: "jsonld",
		},
		{
			name:    "modified before published is dropped",
			html:    `<meta property="article:published_time" content="2025-02-21T10:00:00Z"><meta property="article:modified_time" content="2025-02-20T10:00:00Z">`,
			wantPub: "2025-02-21T10:00:00Z", wantSrc: "meta",
		},
		{
			name: "a page showing only an update date is dated by it",
			html: `<script type="application/ld+json">{"@type":"Article","datePublished":"2016-08-29T21:54:39Z","dateModified":"2020-10-01T13:23:47Z"}</script>
				<body><article><h1>How to grow hydrangeas</h1><div class="byline">By Jane Doe</div><div class="timestamp">Updated May 06, 2019</div><p>Body text.</p></article></body>`,
			wantPub: "2019-05-06T00:00:00Z", wantMod: "2020-10-01T13:23:47Z", wantSrc: "text",
		},
		{
			name: "an update date does not date a page that also shows its publication date",
			html: `<script type="application/ld+json">{"@type":"Article","datePublished":"2016-08-29T21:54:39Z"}</script>
				<body><article><h1>How to grow hydrangeas</h1><div class="timestamp">Updated May 06, 2019</div><p>Body text.</p>
				<p class="meta-date">29.08.2016</p></article></body>`,
			wantPub: "2016-08-29T21:54:39Z", wantSrc: "jsonld",
		},
		{
			name: "an update date does not date a page with a publication label elsewhere",
			html: `<script type="application/ld+json">{"@type":"Article","datePublished":"2016-08-29T21:54:39Z"}</script>
				<body><article><h1>How to grow hydrangeas</h1><div class="timestamp">Aktualisiert am 06. Mai 2019</div>` + strings.Repeat("<p>Body text.</p>", 20) + `
				<p>Erstmals veröffentlicht am 29.08.2016</p></article></body>`,
			wantPub: "2016-08-29T21:54:39Z", wantSrc: "jsonld",
		},
		{
			name: "publication and modification meta names behind a vendor prefix",
			html: `<meta property="shareaholic:article_published_time" content="2017-06-07T11:19:22+02:00">
				<meta property="shareaholic:article_modified_time" content="2020-06-05T23:21:19+02:00">
				<meta name="shareaholic:site_id" content="20170601">
				<body><h1>T</h1>` + strings.Repeat("<p>Text.</p>", 20) + `<p>Dieser Beitrag ist am 1. Juni 2017 in der Wochenzeitung erschienen.</p></body>`,
			wantPub: "2017-06-07T11:19:22+02:00", wantMod: "2020-06-05T23:21:19+02:00", wantSrc: "meta",
		},
		{
			name:    "a prefixed meta name that is no date name is ignored",
			html:    `<meta name="vendor:site_published" content="2017-06-07"><meta name="x:pubdate_id" content="2017-06-08"><body><h1>T</h1><span class="date">09.06.2017</span></body>`,
			wantPub: "2017-06-09T00:00:00Z", wantSrc: "text",
		},
		{
			name: "without a URL, the page's canonical URL is the URL source",
			html: `<head><link rel="canonical" href="http://www.example.de/2014/05/18/alles-neu/"></head>
				<body><h1>Alles neu macht der Mai</h1><b class="time-info">06 PM | 18 Mai</b><p>Text.</p></body>`,
			wantPub: "2014-05-18T00:00:00Z", wantSrc: "url",
		},
		{
			name: "without a URL or canonical link, og:url",
			html: `<head><meta property="og:url" content="/2014/05/18/alles-neu/"></head>
				<body><h1>Alles neu macht der Mai</h1><b class="time-info">06 PM | 18 Mai</b><p>Text.</p></body>`,
			wantPub: "2014-05-18T00:00:00Z", wantSrc: "url",
		},
		{
			name: "the given URL goes before the canonical one",
			url:  "http://www.example.de/2014/05/19/alles-neu/",
			html: `<head><link rel="canonical" href="http://www.example.de/2014/05/18/alles-neu/"></head>
				<body><h1>Alles neu macht der Mai</h1><p>Text.</p></body>`,
			wantPub: "2014-05-19T00:00:00Z", wantSrc: "url",
		},
		{
			name:    "nothing",
			html:    `<html><body><p>No dates here.</p></body></html>`,
			wantPub: "", wantSrc: "",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Find(doc(t, c.html), Options{URL: c.url, Location: c.loc, Now: now})
			check := func(what string, got *time.Time, want string) {
				t.Helper()
				switch {
				case want == "" && got != nil:
					t.Errorf("%s = %s, want none", what, got.Format(time.RFC3339))
				case want != "" && got == nil:
					t.Errorf("%s = none, want %s", what, want)
				case want != "" && got.Format(time.RFC3339) != want:
					t.Errorf("%s = %s, want %s", what, got.Format(time.RFC3339), want)
				}
			}
			check("Published", r.Published, c.wantPub)
			check("Modified", r.Modified, c.wantMod)
			if r.Source != c.wantSrc {
				t.Errorf("Source = %q, want %q", r.Source, c.wantSrc)
			}
		})
	}
}

// TestFirstPost checks the last resort for discussions: the first short
// date label inside a comment or post container.
func TestFirstPost(t *testing.T) {
	cases := []struct{ name, html, want string }{
		{"forum thread", `<html><head><title>Forum</title></head><body><h1>Kein App Store mehr über mobile Daten</h1>
			<div class="MtnComment"><div class="MtnCommentInformation"><span class="MtnCommentTime"><span>28.09.19</span><span>12:44</span></span></div><div class="MtnCommentText">Hallo, hat jemand eine Idee?</div></div>
			<div class="MtnComment"><div class="MtnCommentInformation"><span class="MtnCommentTime"><span>29.09.19</span><span>08:10</span></span></div><div class="MtnCommentText">Bei mir auch.</div></div></body></html>`, "2019-09-28"},
		{"blog comments", `<body><h1>Roomba</h1><p>Text.</p><ol class="commentlist"><li><div class="comment-meta">15. Dezember 2015 um 11:21</div><p>Danke!</p></li>
			<li><div class="comment-meta">16. Dezember 2015 um 09:02</div><p>Gern.</p></li></ol></body>`, "2015-12-15"},
		{"a sentence that mentions a date", `<body><h1>T</h1><div class="comment"><p>Ich war am 28.09.2019 dort und es hat mir sehr gut gefallen.</p></div></body>`, ""},
		{"a date outside any comment", `<body><h1>T</h1><div class="post-date">28.09.2019</div></body>`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := doc(t, c.html)
			f := finder{opt: Options{Now: now, Location: time.UTC}, doc: d}
			f.walk(d)
			got := ""
			if p := f.firstPost(); p != nil {
				got = p.p.t.Format("2006-01-02")
			}
			if got != c.want {
				t.Errorf("firstPost = %q, want %q", got, c.want)
			}
		})
	}
}

func TestFindNilDocParts(t *testing.T) {
	// Defaults: nil Location and zero Now must not panic.
	r := Find(doc(t, `<meta property="article:published_time" content="2020-05-01T10:00:00">`), Options{})
	if r.Published == nil || r.Published.Location() != time.UTC {
		t.Fatalf("got %+v", r)
	}
}

func TestFindNilDoc(t *testing.T) {
	r := Find(nil, Options{URL: "https://x.az/2025/02/21/a", Location: baku, Now: now})
	if r.Published == nil || r.Source != "url" {
		t.Fatalf("got %+v", r)
	}
}

// TestFindBoundedTime checks that hostile pages stay cheap: many digit-laden
// segments keep the go-dateparser fallback in fast mode.
func TestFindBoundedTime(t *testing.T) {
	s := "<html><body><h1>x</h1>" + strings.Repeat("<div class='c'><p>Lorem ipsum dolor sit amet 12 34 consectetur.</p></div>", 20000) + "</body></html>"
	d := doc(t, s)
	start := time.Now()
	Find(d, Options{Now: now})
	if el := time.Since(start); el > 20*time.Second {
		t.Fatalf("Find took %v on a %d-byte page", el, len(s))
	}
}

func FuzzParseText(f *testing.F) {
	for _, s := range []string{
		"21 fevral 2025 18:17", "21.02.2025 | 18:17", "21 февраля 2025, 18:17", "Feb 21, 2025",
		"2 saat əvvəl", "вчера в 14:30", "2025-02-21T18:17:00+04:00", "2025年2月21日", "1740147420",
		"18:17 +99:99", "31.02.2025", "İyun", "\xff\xfe", "00:00 pm utc+",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseText(s, baku, now)
		if ok && (got.Before(MinDate) || got.After(now.Add(FutureSlack))) {
			t.Fatalf("ParseText(%q) = %v outside the plausible range", s, got)
		}
	})
}

func FuzzFind(f *testing.F) {
	f.Add(`<script type="application/ld+json">{"@graph":[{"@type":"NewsArticle","datePublished":"2025-02-21"}]}</script><h1>x</h1><span class="date">2 saat əvvəl</span>`, "https://x.az/2025/02/21/a")
	f.Fuzz(func(t *testing.T, s, u string) {
		n, err := html.Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		r := Find(n, Options{URL: u, Location: baku, Now: now})
		if r.Published != nil && r.Published.After(now.Add(FutureSlack)) {
			t.Fatalf("future date %v", r.Published)
		}
	})
}

func TestPadded(t *testing.T) {
	cases := []struct {
		src  string
		date string
		want bool
	}{
		{"© 2016 aryanews.com", "2016-01-01", true},
		{"2016-01-01T10:00", "2016-01-01", false},
		{"1. Januar 2016", "2016-01-01", false},
		{"/2010/06/hei-wie-die-hoelle/", "2010-06-01", true},
		{"/2023/11/01/effiziente-hybridbatterie/", "2023-11-01", false},
		{"01.06.2010", "2010-06-01", false},
		{"5 June 2010", "2010-06-05", false},
	}
	for _, c := range cases {
		d, _ := time.Parse("2006-01-02", c.date)
		if got := padded(c.src, d.Year(), d.Month(), d.Day()); got != c.want {
			t.Errorf("padded(%q, %s) = %v, want %v", c.src, c.date, got, c.want)
		}
	}
}
