package extract

import (
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
