package extract

import (
	"strings"
	"testing"
	"time"
)

func TestFilterParas(t *testing.T) {
	drop := []string{
		"Ссылка скопирована", "Link copied!", "Keçid kopyalandı", "Views: 406", "Baxış: 1 520", "Просмотров: 12 345",
		"807 views", "Share: Facebook Twitter WhatsApp", "Поделиться", "© 2025 Caliber.Az. All rights reserved.",
		"Все права защищены. При цитировании ссылка обязательна.", "Bütün hüquqlar qorunur.",
		"Read more: Alibaba poised to launch record-breaking listing", "Related: Caspian seals census shows decline",
		"Читайте также: Инфляция замедлилась", "Digər xəbərlər", "More in Analytics",
		"Follow us on Twitter and Facebook for more environment news.", "Sign up for our free daily newsletter.",
		"Get the latest updates right in your inbox.", "This website uses cookies to improve your experience.",
		"Reporting by Rodrigo Campos; Editing by Nick Zieminski", "Associated Press writers Alan Fram and Zeke Miller contributed to this report.",
		"Continue Reading Below", "A long row of unsold SUVs sits at a dealership. (AP Photo/David Zalubowski)",
		"The core stage of the first SLS. (credit: NASA/Jude Guidry)",
		"Listen: http://po.st/TP_615", "Tags: metro, Bakı, nəqliyyat", "[button link=x] Send us YOUR review[/button]",
		"05/10/2018 - Publicado por: Clarissa Borba - Categoria: Saúde",
		"Фото: пресс-служба МЧС", "Президент на встрече с делегацией. Фото: АЗЕРТАДЖ",
		// other languages' related links, labels, credits, gallery and UI text
		"Lea más: Juan Carlos Ortega propone legalizar la marihuana", "PUEDES VER: ¿Qué es la Sunedu?",
		"También te puede interesar", "Czytaj też", "Lesen Sie auch die folgenden Beiträge:", "Weitere Informationen:",
		"À lire aussi : la réforme des retraites", "Crédits photos : Bestimage", "Bild: dpa", "aja/PAP",
		"Image 3 of 5", "1 of 6", "Rezept drucken", "Anzeige", "Caption", "This slideshow requires JavaScript.",
		// rights and affiliate notices, invites, shop and comment-form messages, file links, button rows
		"© 2022, Example News. This article is the copyrighted property of Example News. Written permission must be obtained before reprint in online or print media.",
		"Letzte Aktualisierung am 2.02.2022 / Bei den Verlinkungen handelt es sich um Affiliate Links / Bilder von der Amazon Product Advertising API",
		"¿Ya sabías que en Guatemala.com tenemos canal de Telegram? Únete desde tu celular en este enlace de invitación.",
		"For the latest stories and breaking news updates download the Nationnews apps for iOS and Android.",
		"Sie müssen sich einloggen, um sich an einer Diskussion beteiligen zu können.", "Der Artikel wurde erfolgreich hinzugefügt.",
		"Informationsschreiben vom 14. Oktober 2021PDF | 38 KB | Datei ist nicht barrierefrei",
		"Bild anzeigen\nBild schließen", "Rezept drucken Bei Pinterest speichern", "ANZEIGE - Heute mal ausgehen? Wie wäre es mit:",
	}
	keep := []string{
		"More than 200 people were evacuated from the coastal villages on Tuesday.",
		"Related to the earlier decision, the court also ruled on the appeal.",
		"The ministry said the views of the public would be taken into account.",
		"Posted on social media by analysts, the video shows the port at night.",
		"The findings were published today (Nov. 18) in the journal BMJ Case Reports.",
		"Users who subscribe to the service pay 10 manats a month, the company said.",
		"Просмотр фильма назначен на 21 февраля.",
		"— Dianna E. Anderson (@diannaeanderson) November 18, 2019",
		"Bakı metropoliteninin Bənövşəyi xəttində yeni stansiya istifadəyə verilib.",
		"Mira la diferencia entre los dos informes del banco central.", "See more photos:",
		"Kontakt zur Familie hatte er seit Jahren nicht mehr.", "Weitere Informationen gibt es am Montag, sagte der Sprecher.",
		"3 of 5 respondents said they would vote again.",
		"They entered the building without permission, police said on Monday.",
		"He posted the video on his channel on Telegram, where it was viewed 10,000 times.",
		"The site earns most of its money through affiliate links, the report found.",
		"The council gave written permission for the march last week.",
	}
	var ps []para
	for _, s := range append(append([]string{}, drop...), keep...) {
		ps = append(ps, para{Text: s, Chars: letters(s)})
	}
	// Surround with running text so edge rules see the lines as they would.
	body := para{Text: "Ordinary running text of the article that stays.", Chars: 40}
	ps = append(append([]para{body, body, body}, ps...), body, body, body)
	got := map[string]bool{}
	for _, p := range filterParas(ps, pageFacts{Title: "Headline", Now: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), Tags: []string{"metro"}}) {
		got[p.Text] = true
	}
	for _, s := range drop {
		if got[s] {
			t.Errorf("kept %q", s)
		}
	}
	for _, s := range keep {
		if !got[s] {
			t.Errorf("dropped %q", s)
		}
	}
}

// Date-only lines are datelines at the top or bottom of the text, and kept
// in the middle (a date may be a paragraph of a timeline).
func TestFilterParasDatelines(t *testing.T) {
	text := func(s string) para { return para{Text: s, Chars: letters(s)} }
	body := text("Ordinary running text of the article that stays.")
	ps := []para{text("August 08, 2018"), body, body, body, text("21 fevral 2025 18:17"), body, body, body, text("21 февраля 2025, 18:17")}
	got := filterParas(ps, pageFacts{Now: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)})
	if len(got) != 7 || got[3].Text != "21 fevral 2025 18:17" {
		var ts []string
		for _, p := range got {
			ts = append(ts, p.Text)
		}
		t.Errorf("got %q, want the edge datelines dropped and the middle one kept", ts)
	}
}

func TestFilterParasLinksAndTitle(t *testing.T) {
	ps := []para{
		{Text: "Headline Of The Story", Chars: 18},
		{Text: "First paragraph with a link to a report in the middle of the sentence.", Chars: 60, LinkChars: 8},
		{Text: "What the new ferry fleet means for Caspian trade", Chars: 40, LinkChars: 40},
		{Text: "calendario stock car 2018, stock car brasil, stock car cascavel", Chars: 50},
	}
	got := filterParas(ps, pageFacts{Title: "Headline of the story", Tags: []string{"calendario stock car 2018", "stock car brasil", "stock car cascavel"}})
	if len(got) != 1 || got[0].Text != ps[1].Text {
		t.Errorf("got %+v, want only the running-text paragraph", got)
	}
}

// preClean removes furniture by class and id words, but the id of a
// heading is a table-of-contents anchor made of its text.
func TestPreCleanNames(t *testing.T) {
	doc, err := parseHTML([]byte(`<html><body><article>
<p>Running text of the story, long enough to be the bulk of the page, goes on and on here.</p>
<h3 class="subheading" id="nav_nur_die_folie__1">Nur die Folie bleibt zurück</h3>
<p>More running text of the story that follows the subheading and keeps going for a while.</p>
<div class="share-bar">Share on Facebook</div><nav id="nav_main">Home News</nav>
<h3 class="related-title">Related</h3>
</article></body></html>`))
	if err != nil {
		t.Fatal(err)
	}
	preClean(doc)
	text := strings.Join(blockText(doc), "|")
	if !strings.Contains(text, "Nur die Folie bleibt zurück") {
		t.Errorf("heading with a nav_ anchor id removed: %q", text)
	}
	for _, gone := range []string{"Share on Facebook", "Home News", "Related"} {
		if strings.Contains(text, gone) {
			t.Errorf("%q kept: %q", gone, text)
		}
	}
}
