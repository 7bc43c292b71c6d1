package crawler_test

import (
	"errors"
	"fmt"

	"github.com/newswatch/newswatch/crawler"
)

// ParseConfig reports every problem at once, each with file and line, as
// `newswatch outlets check` prints them.
func ExampleParseConfig() {
	_, err := crawler.ParseConfig([]byte(`outlets:
  - id: caliber
    base_url: https://caliber.az/
    timezone: Asia/Baku
    feeds: [https://caliber.az/rss]
    rate: {parallelism: 2, delay: 1s}
  - id: Report
    base_url: https://report.az/
    timezone: Baku
    sitemaps: [https://report.az/sitemap.xml]
`), "outlets.yaml")
	var ve *crawler.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Println(p)
		}
	}
	// Output:
	// outlets.yaml:7:9: outlets[1].id: id "Report": bad outlet id: "Report" has 'R' at byte 0; use only a-z, 0-9, '_' and '-' (the id is a NATS subject token)
	// outlets.yaml:9:15: outlets[1].timezone: timezone "Baku" is not an IANA time zone (e.g. Asia/Baku)
}
