package lang

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDetect(t *testing.T) {
	d := New()
	cases := []struct {
		name, text, hint, want string
	}{
		{"az news", "Azərbaycan Respublikasının Prezidenti İlham Əliyev bu gün Bakıda keçirilən beynəlxalq konfransda çıxış edib.", "", "az"},
		{"az with tr hint", "Nazirlər Kabinetinin qərarı ilə yeni qaydalar martın 1-dən qüvvəyə minəcək.", "tr", "az"},
		{"az no schwa short", "Bu gün Bakıda yeni metro stansiyası açılıb", "", "az"},
		{"az ascii-ish headline with hint", "Prezident Bakida yeni xestexananin acilisinda istirak edib", "az", "az"},
		{"tr news", "Türkiye Cumhurbaşkanı bugün Ankara'da düzenlenen uluslararası konferansta konuşma yaptı.", "", "tr"},
		{"tr with az hint", "Merkez Bankası faiz oranlarını değiştirmedi ve enflasyonun düşmesini beklediğini açıkladı.", "az", "tr"},
		{"tr long", "İstanbul'da yaşayan vatandaşlar, sabah saatlerinde başlayan yoğun kar yağışı nedeniyle işlerine gitmekte zorlandı. Belediye ekipleri ana yollarda tuzlama çalışması yaptı.", "", "tr"},
		{"ru news", "Президент России провёл совещание с членами правительства, обсуждались вопросы экономики.", "", "ru"},
		{"ru no ё", "Министр финансов доложил о исполнении бюджета и мерах поддержки малого бизнеса", "", "ru"},
		{"ru with az hint", "В Баку прошла международная конференция по вопросам энергетической безопасности.", "az", "ru"},
		{"uk", "Президент України провів зустріч з представниками міжнародних організацій у Києві.", "", "uk"},
		{"en news", "The President of Azerbaijan met foreign ministers in Baku on Tuesday to discuss regional security.", "", "en"},
		{"en with ru hint", "Oil prices rose sharply on Monday after the announcement of new production cuts.", "ru", "en"},
		{"de", "Die Bundesregierung hat am Mittwoch neue Maßnahmen zur Unterstützung der Wirtschaft beschlossen.", "", "de"},
		{"fr", "Le gouvernement français a annoncé mercredi de nouvelles mesures pour soutenir l'économie.", "", "fr"},
		{"ka", "საქართველოს პრეზიდენტი დღეს თბილისში შეხვდა", "", "ka"},
		{"az long news", "Milli Məclisin plenar iclasında dövlət büdcəsi haqqında qanun layihəsi müzakirə olunub. Deputatlar sosial xərclərin artırılmasını təklif ediblər. Maliyyə naziri bildirib ki, gələn il vergi daxilolmaları artacaq.", "", "az"},
		{"az sport", "Qarabağ klubu Avropa Liqasında növbəti oyununu sabah keçirəcək. Baş məşqçi komandanın hazırlığından razı qaldığını deyib.", "", "az"},
		{"az typed without ə", "Qarabag klubu Avropa Liqasinda novbeti oyununu sabah kecirecek, bas mesqci hazirliqdan razi qaldigini deyib", "az", "az"},
		{"tr sport", "Galatasaray, Şampiyonlar Ligi'nde yarın sahaya çıkacak. Teknik direktör takımın hazırlıklarından memnun olduğunu söyledi.", "", "tr"},
		{"tr economy", "Enflasyon rakamları açıklandı; yıllık enflasyon beklentilerin altında kalırken piyasalar olumlu tepki veriyor.", "", "tr"},
		{"tr with az hint long", "Dışişleri Bakanı, Bakü'de düzenlenen toplantıda iki ülke arasındaki ilişkilerin güçlenmeye devam ettiğini söyledi.", "az", "tr"},
		{"ru short headline", "В Баку открылся новый парк", "", "ru"},
		{"kk", "Қазақстан Республикасының Президенті бүгін Астанада үкімет отырысын өткізді.", "", "kk"},
		{"empty uses hint", "", "az-Latn-AZ", "az"},
		{"short uses hint", "OK 12:30", "ru_RU", "ru"},
		{"empty no hint", "  12 345 ", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := d.Detect(c.text, c.hint); got != c.want {
				t.Errorf("Detect(%q, %q) = %q, want %q", c.text, c.hint, got, c.want)
			}
		})
	}
}

func TestNormalizeHint(t *testing.T) {
	for in, want := range map[string]string{"az-Latn-AZ": "az", "ru_RU": "ru", "EN": "en", "": "", "x": "", "en-US ": "en", "aze": "az", "1a": ""} {
		if got := NormalizeHint(in); got != want {
			t.Errorf("%q: %q want %q", in, got, want)
		}
	}
}

func TestDetectConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if got := Detect("Azərbaycan Respublikasının Prezidenti bu gün çıxış edib.", ""); got != "az" {
					t.Errorf("got %q", got)
				}
				if got := Detect("Türkiye Cumhurbaşkanı bugün Ankara'da konuşma yaptı ve açıklama yaptı.", ""); got != "tr" {
					t.Errorf("got %q", got)
				}
			}
		}()
	}
	wg.Wait()
}

// TestDetectFast guards the per-article budget loosely (the precise figure
// comes from BenchmarkDetect); it fails only on gross regressions.
func TestDetectFast(t *testing.T) {
	d := New()
	body := strings.Repeat("Türkiye Cumhurbaşkanı bugün Ankara'da düzenlenen uluslararası konferansta konuşma yaptı. ", 60)
	d.Detect(body, "")
	start := time.Now()
	for i := 0; i < 50; i++ {
		d.Detect(body, "")
	}
	if per := time.Since(start) / 50; per > 20*time.Millisecond {
		t.Errorf("Detect took %v per 5 KB article", per)
	}
}

func BenchmarkDetect(b *testing.B) {
	d := New()
	bodies := map[string]string{
		"az": strings.Repeat("Azərbaycan Respublikasının Prezidenti İlham Əliyev bu gün Bakıda keçirilən konfransda çıxış edib. ", 50),
		"tr": strings.Repeat("Türkiye Cumhurbaşkanı bugün Ankara'da düzenlenen uluslararası konferansta konuşma yaptı. ", 50),
		"ru": strings.Repeat("Президент России провёл совещание с членами правительства, обсуждались вопросы экономики. ", 50),
		"en": strings.Repeat("The President of Azerbaijan met foreign ministers in Baku on Tuesday to discuss security. ", 50),
	}
	for name, body := range bodies {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				d.Detect(body, "")
			}
		})
	}
}
