package simsite

import (
	"html/template"
	"strings"
)

// labels are the fixed strings of a page in one language.
type labels struct {
	views, related, share, copied, copyLink, search, next, prev, home, author, tags,
	rights, notFound, tagline, latest, readMore, download string
}

func labelsFor(lang string) labels {
	switch lang {
	case "az":
		return labels{views: "Baxış sayı", related: "Oxşar xəbərlər", share: "Paylaş", copied: "Link kopyalandı",
			copyLink: "Linki kopyala", search: "Axtarış", next: "Növbəti", prev: "Əvvəlki", home: "Ana səhifə",
			author: "Müəllif", tags: "Teqlər", rights: "Bütün hüquqlar qorunur. Materiallardan istifadə zamanı istinad mütləqdir.",
			notFound: "Səhifə tapılmadı.", tagline: "Azərbaycan və dünya xəbərləri", latest: "Son xəbərlər",
			readMore: "Ətraflı", download: "Tətbiqi yüklə"}
	case "ru":
		return labels{views: "Просмотров", related: "Читайте также", share: "Поделиться", copied: "Ссылка скопирована",
			copyLink: "Копировать ссылку", search: "Поиск", next: "Следующая", prev: "Предыдущая", home: "Главная",
			author: "Автор", tags: "Теги", rights: "Все права защищены. При использовании материалов ссылка обязательна.",
			notFound: "Страница не найдена.", tagline: "Новости Азербайджана и мира", latest: "Последние новости",
			readMore: "Подробнее", download: "Скачать приложение"}
	default:
		return labels{views: "Views", related: "Related articles", share: "Share", copied: "Ссылка скопирована",
			copyLink: "Copy link", search: "Search", next: "Next", prev: "Previous", home: "Home",
			author: "Author", tags: "Tags", rights: "All rights reserved. Use of materials requires a hyperlink.",
			notFound: "Page not found.", tagline: "News and analysis from Azerbaijan and the region", latest: "Latest news",
			readMore: "Read more", download: "Download the app"}
	}
}

type templates struct{ t *template.Template }

var funcs = template.FuncMap{
	"join": strings.Join,
	"lbl": func(l labels, k string) string {
		return map[string]string{"views": l.views, "related": l.related, "share": l.share, "copied": l.copied,
			"copyLink": l.copyLink, "search": l.search, "next": l.next, "prev": l.prev, "home": l.home,
			"author": l.author, "tags": l.tags, "rights": l.rights, "notFound": l.notFound, "tagline": l.tagline,
			"latest": l.latest, "readMore": l.readMore, "download": l.download}[k]
	},
}

func templatesFor(name string) *templates {
	src := map[string]string{"caliber": caliberTpl, "report": reportTpl, "vesti": vestiTpl}[name]
	return &templates{t: template.Must(template.New(name).Funcs(funcs).Parse(src + defacedTpl))}
}

// defacedTpl is the hacked front page every template serves when an
// outlet is defaced.
const defacedTpl = `
{{define "defaced"}}<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>HACKED</title></head>
<body style="background:#000;color:#0f0;text-align:center">
<h1>Hacked by Cyb3r Gh0st Team</h1>
<p>Your security is an illusion. Greetz to all the crew.</p>
</body></html>
{{end}}
`

// caliberTpl: English/Azerbaijani, <article> markup, JSON-LD NewsArticle.
const caliberTpl = `
{{define "head"}}<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} | {{.Outlet}}</title>
{{if .Canonical}}<link rel="canonical" href="{{.Canonical}}">{{end}}
<link rel="alternate" type="application/rss+xml" title="{{.Outlet}}" href="{{.FeedURL}}">
<link rel="alternate" hreflang="en" href="{{.Base}}/en">
<link rel="alternate" hreflang="az" href="{{.Base}}/az">
{{end}}
{{define "nav"}}<header class="header">
 <div class="header__top">
  <a class="header__logo" href="{{.Base}}/"><img src="{{.Base}}/uploads/logo.jpg" alt="{{.Outlet}}"></a>
  <div class="header__social">
   <a href="https://facebook.example/caliber.az" target="_blank" rel="nofollow noopener">Facebook</a>
   <a href="https://x.example/caliber_az" target="_blank" rel="nofollow noopener">X</a>
   <a href="https://t.example/caliberaz" target="_blank" rel="nofollow noopener">Telegram</a>
   <a href="https://youtube.example/@caliberaz" target="_blank" rel="nofollow noopener">YouTube</a>
  </div>
  <div class="header__apps">
   <a href="https://apps.apple.example/app/caliber-az/id1592000000"><img src="{{.Base}}/uploads/app-store.jpg" alt="Download on the App Store"></a>
   <a href="https://play.google.example/store/apps/details?id=az.caliber.app"><img src="{{.Base}}/uploads/google-play.jpg" alt="Get it on Google Play"></a>
  </div>
  <div class="header__lang"><a href="{{.Base}}/en" class="{{if eq .Lang "en"}}active{{end}}">EN</a> <a href="{{.Base}}/az" class="{{if eq .Lang "az"}}active{{end}}">AZ</a></div>
  <form class="header__search" action="{{.Base}}/search" method="get"><input type="text" name="q" placeholder="{{lbl .L "search"}}"><button type="submit">{{lbl .L "search"}}</button></form>
 </div>
 <nav class="header__menu"><ul>
  <li><a href="{{.Base}}/">{{lbl .L "home"}}</a></li>
  {{range .Sections}}<li><a href="{{.URL}}">{{.Name}}</a></li>
  {{end}}<li><a href="{{.Base}}/search?q=">{{lbl .L "search"}}</a></li>
 </ul></nav>
</header>
{{end}}
{{define "footer"}}<footer class="footer">
 <div class="footer__apps">{{lbl .L "download"}}: <a href="https://apps.apple.example/app/caliber-az/id1592000000">App Store</a> · <a href="https://play.google.example/store/apps/details?id=az.caliber.app">Google Play</a></div>
 <div class="footer__copy">© 2021–{{.Year}} {{.Outlet}}. {{lbl .L "rights"}}</div>
 <div class="footer__links"><a href="{{.FeedURL}}">RSS</a> · <a href="{{.Base}}/admin/">Admin</a></div>
</footer>
</body>
</html>
{{end}}
{{define "article"}}{{template "head" .}}<meta name="description" content="{{.Lead}}">
<meta property="og:type" content="article">
<meta property="og:title" content="{{.Headline}}">
<meta property="og:description" content="{{.Lead}}">
<meta property="og:url" content="{{.Canonical}}">
<meta property="og:image" content="{{.Image}}">
<meta property="og:site_name" content="{{.Outlet}}">
<meta name="twitter:card" content="summary_large_image">
<link rel="amphtml" href="{{.AMP}}">
<script type="application/ld+json">{{.JSONLD}}</script>
</head>
<body class="post-page">
{{template "nav" .}}
<main class="container">
 <article class="post">
  <div class="post__category"><a href="{{.SectionURL}}">{{.SectionLabel}}</a></div>
  <h1 class="post__title">{{.Headline}}</h1>
  <div class="post__meta">
   <span class="post__date">{{.Date}}</span>
   {{if .Authors}}<span class="post__author">{{join .Authors ", "}}</span>{{end}}
  </div>
  <figure class="post__image"><img src="{{.Image}}" alt="{{.Headline}}" width="1200" height="675"></figure>
  <div class="post__content">
   {{range .Paras}}<p>{{.}}</p>
   {{end}}
  </div>
  <div class="post__tags">{{range .Tags}}<a href="{{.URL}}">#{{.Name}}</a> {{end}}</div>
  <div class="post__views">{{lbl .L "views"}}: {{.Views}}</div>
  <div class="post__share">
   <span>{{lbl .L "share"}}:</span>
   <a href="https://facebook.example/sharer/sharer.php?u={{.Canonical}}" rel="nofollow">Facebook</a>
   <a href="https://x.example/intent/tweet?url={{.Canonical}}" rel="nofollow">X</a>
   <a href="https://t.example/share/url?url={{.Canonical}}" rel="nofollow">Telegram</a>
   <button class="copy-link" data-url="{{.Canonical}}">{{lbl .L "copyLink"}}</button>
   <span class="copy-link__done" hidden>{{lbl .L "copied"}}</span>
  </div>
 </article>
 <aside class="related">
  <h2 class="related__title">{{lbl .L "related"}}</h2>
  <ul>
  {{range .Related}}<li><a href="{{.URL}}">{{.Title}}</a> <span class="related__date">{{.Date}}</span></li>
  {{end}}</ul>
 </aside>
</main>
{{template "footer" .}}{{end}}
{{define "amp"}}<!doctype html>
<html amp lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<title>{{.Headline}}</title>
<link rel="canonical" href="{{.Canonical}}">
<meta name="viewport" content="width=device-width,minimum-scale=1,initial-scale=1">
<script async src="https://cdn.ampproject.example/v0.js"></script>
<script type="application/ld+json">{{.JSONLD}}</script>
<style amp-boilerplate>body{visibility:visible}</style>
</head>
<body>
<header class="amp-header"><a href="{{.Base}}/">{{.Outlet}}</a></header>
<article>
 <div class="amp-category">{{.SectionLabel}}</div>
 <h1>{{.Headline}}</h1>
 <div class="amp-date">{{.Date}}</div>
 <amp-img src="{{.Image}}" width="1200" height="675" layout="responsive"></amp-img>
 {{range .Paras}}<p>{{.}}</p>
 {{end}}
</article>
<footer>© 2021–{{.Year}} {{.Outlet}}</footer>
</body>
</html>
{{end}}
{{define "listing"}}{{template "head" .}}<meta name="description" content="{{lbl .L "tagline"}}">
</head>
<body class="category-page">
{{template "nav" .}}
<main class="container">
 <h1 class="page-title">{{.Heading}}</h1>
 <section class="news-list">
 {{range .Items}}<article class="news-card">
  <div class="news-card__category">{{.Section}}</div>
  <h3 class="news-card__title"><a href="{{.URL}}">{{.Title}}</a></h3>
  <p class="news-card__lead">{{.Lead}}</p>
  <time class="news-card__date">{{.Date}}</time>
 </article>
 {{end}}</section>
 <nav class="pagination">
  {{if .Prev}}<a class="pagination__prev" rel="prev" href="{{.Prev}}">« {{lbl .L "prev"}}</a>{{end}}
  {{range .Pages}}<a class="pagination__page" href="{{.URL}}">{{.Name}}</a> {{end}}
  {{if .Next}}<a class="pagination__next" rel="next" href="{{.Next}}">{{lbl .L "next"}} »</a>{{end}}
 </nav>
</main>
{{template "footer" .}}{{end}}
{{define "simple"}}{{template "head" .}}<meta name="robots" content="noindex">
</head>
<body>
{{template "nav" .}}
<main class="container"><h1>{{.Heading}}</h1><p>{{.Text}}</p>
<ul>{{range .Items}}<li><a href="{{.URL}}">{{.Title}}</a> {{.Date}}</li>{{end}}</ul></main>
{{template "footer" .}}{{end}}
`

// reportTpl: Azerbaijani, div markup, OpenGraph and meta tags only.
const reportTpl = `
{{define "head"}}<!doctype html>
<html lang="az">
<head>
<meta charset="UTF-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{{.Title}} | {{.Outlet}}</title>
{{if .Canonical}}<link rel="canonical" href="{{.Canonical}}">{{end}}
<link rel="alternate" type="application/rss+xml" href="{{.FeedURL}}">
{{end}}
{{define "nav"}}<div class="top-line">
 <div class="wrap">
  <div class="logo"><a href="{{.Base}}/">{{.Outlet}}</a></div>
  <div class="socials"><a href="https://facebook.example/report.az" rel="nofollow">fb</a> <a href="https://instagram.example/report.az" rel="nofollow">ig</a> <a href="https://t.example/reportaz" rel="nofollow">tg</a></div>
  <div class="search-box"><a href="{{.Base}}/search?q=">{{lbl .L "search"}}</a></div>
 </div>
</div>
<div class="menu-line"><div class="wrap"><ul class="main-menu">
 <li><a href="{{.Base}}/">{{lbl .L "home"}}</a></li>
 {{range .Sections}}<li><a href="{{.URL}}">{{.Name}}</a></li>
 {{end}}</ul></div></div>
{{end}}
{{define "footer"}}<div class="footer"><div class="wrap">
 <div class="copyright">© 2014–{{.Year}} {{.Outlet}}. {{lbl .L "rights"}}</div>
 <div class="footer-links"><a href="{{.FeedURL}}">RSS</a> | <a href="{{.Base}}/admin/">Redaksiya</a></div>
</div></div>
</body>
</html>
{{end}}
{{define "article"}}{{template "head" .}}<meta name="description" content="{{.Lead}}">
<meta name="keywords" content="{{range $i, $t := .Tags}}{{if $i}}, {{end}}{{$t.Name}}{{end}}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="{{.Outlet}}">
<meta property="og:title" content="{{.Headline}}">
<meta property="og:description" content="{{.Lead}}">
<meta property="og:url" content="{{.Canonical}}">
<meta property="og:image" content="{{.Image}}">
<meta property="og:locale" content="az_AZ">
{{if .MetaDate}}<meta property="article:published_time" content="{{.DateISO}}">
<meta property="article:modified_time" content="{{.ModISO}}">
{{end}}<meta property="article:section" content="{{.SectionName}}">
{{range .Tags}}<meta property="article:tag" content="{{.Name}}">
{{end}}</head>
<body>
{{template "nav" .}}
<div class="wrap content-wrap">
 <div class="left-side">
  <div class="breadcrumbs"><a href="{{.Base}}/">{{lbl .L "home"}}</a> / <a href="{{.SectionURL}}">{{.SectionName}}</a></div>
  <div class="news-detail">
   <div class="news-title"><h1>{{.Headline}}</h1></div>
   <div class="news-info"><div class="news-date">{{.Date}}</div>{{if .Authors}}<div class="news-author">{{lbl .L "author"}}: {{join .Authors ", "}}</div>{{end}}</div>
   <div class="news-cover"><img src="{{.Image}}" alt=""></div>
   <div class="news-text editor-content">
    {{range .Paras}}<p>{{.}}</p>
    {{end}}
   </div>
   <div class="news-tags">{{lbl .L "tags"}}: {{range .Tags}}<a href="{{.URL}}">{{.Name}}</a> {{end}}</div>
   <div class="news-bottom"><div class="news-views">{{lbl .L "views"}}: {{.Views}}</div>
    <div class="news-share">{{lbl .L "share"}}: <a href="https://facebook.example/sharer.php?u={{.Canonical}}" rel="nofollow">Facebook</a> <a href="https://wa.example/send?text={{.Canonical}}" rel="nofollow">WhatsApp</a></div></div>
  </div>
 </div>
 <div class="right-side">
  <div class="block-title">{{lbl .L "latest"}}</div>
  <div class="latest-news">
  {{range .Related}}<div class="news-item"><div class="item-time">{{.Date}}</div><div class="item-title"><a href="{{.URL}}">{{.Title}}</a></div></div>
  {{end}}</div>
 </div>
</div>
{{template "footer" .}}{{end}}
{{define "listing"}}{{template "head" .}}<meta property="og:title" content="{{.Heading}}">
</head>
<body>
{{template "nav" .}}
<div class="wrap content-wrap">
 <div class="left-side">
  <div class="block-title">{{.Heading}}</div>
  <div class="news-list">
  {{range .Items}}<div class="news-item">
   <div class="item-image"><a href="{{.URL}}"><img src="{{$.Base}}/uploads/logo.jpg" alt=""></a></div>
   <div class="item-info"><div class="item-title"><a href="{{.URL}}">{{.Title}}</a></div><div class="item-time">{{.Date}}</div></div>
  </div>
  {{end}}</div>
  <div class="pagination">
   {{if .Prev}}<a href="{{.Prev}}">{{lbl .L "prev"}}</a>{{end}}
   {{range .Pages}}<a href="{{.URL}}">{{.Name}}</a> {{end}}
   {{if .Next}}<a class="next" href="{{.Next}}">{{lbl .L "next"}}</a>{{end}}
  </div>
 </div>
</div>
{{template "footer" .}}{{end}}
{{define "simple"}}{{template "head" .}}<meta name="robots" content="noindex">
</head>
<body>
{{template "nav" .}}
<div class="wrap"><div class="block-title">{{.Heading}}</div><div>{{.Text}}</div>
{{range .Items}}<div class="news-item"><a href="{{.URL}}">{{.Title}}</a> {{.Date}}</div>{{end}}</div>
{{template "footer" .}}{{end}}
`

// vestiTpl: Russian, old-style table/div markup, served as windows-1251;
// the date is only printed in the text.
const vestiTpl = `
{{define "head"}}<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html lang="ru">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">
<meta charset="windows-1251">
<title>{{.Title}} - {{.Outlet}}</title>
{{if .Canonical}}<link rel="canonical" href="{{.Canonical}}">{{end}}
<link rel="alternate" type="application/rss+xml" title="RSS" href="{{.FeedURL}}">
{{end}}
{{define "nav"}}<table class="header" width="100%"><tr>
 <td class="logo"><a href="{{.Base}}/">{{.Outlet}}</a><div class="slogan">{{lbl .L "tagline"}}</div></td>
 <td class="search"><form action="{{.Base}}/search/" method="get"><input type="text" name="q"><input type="submit" value="{{lbl .L "search"}}"></form></td>
</tr></table>
<div id="menu"><a href="{{.Base}}/">{{lbl .L "home"}}</a>{{range .Sections}} | <a href="{{.URL}}">{{.Name}}</a>{{end}} | <a href="{{.Base}}/search/?q=">{{lbl .L "search"}}</a></div>
{{end}}
{{define "footer"}}<div id="footer">
 <p>© 2008–{{.Year}} «{{.Outlet}}». {{lbl .L "rights"}}</p>
 <p><a href="{{.FeedURL}}">RSS</a> · <a href="{{.Base}}/admin/">Редакция</a> · <a href="https://vk.example/bakuvesti" rel="nofollow">ВКонтакте</a></p>
</div>
</body>
</html>
{{end}}
{{define "article"}}{{template "head" .}}<meta name="description" content="{{.Lead}}">
<meta property="og:title" content="{{.Headline}}">
<meta property="og:description" content="{{.Lead}}">
<meta property="og:image" content="{{.Image}}">
</head>
<body>
{{template "nav" .}}
<div id="content">
 <div class="main-col">
  <div class="path"><a href="{{.Base}}/">{{lbl .L "home"}}</a> → <a href="{{.SectionURL}}">{{.SectionName}}</a></div>
  <div class="news-full">
   <h1 class="title">{{.Headline}}</h1>
   <div class="date">{{.Date}}</div>
   <div class="photo"><img src="{{.Image}}" alt="{{.Headline}}"></div>
   <div class="text">
    {{range .Paras}}<p>{{.}}</p>
    {{end}}
   </div>
   {{if .Authors}}<div class="author">{{lbl .L "author"}}: <b>{{join .Authors ", "}}</b></div>{{end}}
   <div class="tags">{{lbl .L "tags"}}: {{range .Tags}}<a href="{{.URL}}">{{.Name}}</a> {{end}}</div>
   <div class="counter">{{lbl .L "views"}}: {{.Views}}</div>
  </div>
  <div class="also"><h3>{{lbl .L "related"}}</h3>
  {{range .Related}}<div class="also-item"><span class="d">{{.Date}}</span> <a href="{{.URL}}">{{.Title}}</a></div>
  {{end}}</div>
 </div>
</div>
{{template "footer" .}}{{end}}
{{define "listing"}}{{template "head" .}}</head>
<body>
{{template "nav" .}}
<div id="content">
 <div class="main-col">
  <h2>{{.Heading}}</h2>
  <table class="news-table">
  {{range .Items}}<tr><td class="d">{{.Date}}</td><td><a class="t" href="{{.URL}}">{{.Title}}</a><div class="anons">{{.Lead}}</div></td></tr>
  {{end}}</table>
  <div class="nav-pages">
   {{if .Prev}}<a href="{{.Prev}}">← {{lbl .L "prev"}}</a>{{end}}
   {{range .Pages}}<a href="{{.URL}}">{{.Name}}</a> {{end}}
   {{if .Next}}<a href="{{.Next}}">{{lbl .L "next"}} →</a>{{end}}
  </div>
 </div>
</div>
{{template "footer" .}}{{end}}
{{define "simple"}}{{template "head" .}}<meta name="robots" content="noindex">
</head>
<body>
{{template "nav" .}}
<div id="content"><h2>{{.Heading}}</h2><p>{{.Text}}</p>
{{range .Items}}<div><a href="{{.URL}}">{{.Title}}</a> {{.Date}}</div>{{end}}</div>
{{template "footer" .}}{{end}}
`
