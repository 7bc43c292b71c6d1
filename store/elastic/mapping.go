package elastic

import "github.com/newswatch/newswatch/store/words"

// Field names of the indexed documents. A document is the Article JSON
// (schema v1, the fields named as in article.Article) plus the fields below;
// Kibana reads it as-is (time field: published_at or sort_date).
const (
	fID        = "id"
	fTitle     = "title"
	fLead      = "lead"
	fBody      = "body"
	fAuthors   = "authors"      // keyword; authors.text for words, authors.folded for filters
	fSection   = "section"      // keyword; section.folded for filters
	fOutlet    = "outlet"       // keyword; outlet.folded
	fLang      = "language"     // keyword; language.folded
	fTags      = "tags"         // keyword; tags.folded
	fPublished = "published_at" // date
	fSortDate  = "sort_date"    // published_at, else fetched_at
	fStory     = "story_id"     // keyword
	fVersions  = "versions"     // []store.Version, stored, not indexed
	fStemPfx   = "stem_"        // + language: stem candidates of the title, lead and body (store/words; not in _source)
	subFolded  = ".folded"
	subText    = ".text"
)

// Names of the analysis components of the index settings.
const (
	anText      = "newswatch_text" // words, case folded (I/İ/ı -> i, ё -> е)
	nmKeyword   = "newswatch_keyword"
	cfApostroph = "newswatch_apostrophe"
	cfFold      = "newswatch_fold"
	cfDotAbove  = "newswatch_dot_above"
)

// analysis has the same intent as store/bleve's exact words, built from
// the engines' own components, which Elasticsearch 8 and OpenSearch 2
// ship:
//   - apostrophes split Azerbaijani suffixes from proper nouns
//     ("Azərbaycan'ın" -> "azərbaycan", "ın") - mapping char filter;
//   - case folding where the Azerbaijani/Turkish i's (I, İ, ı, i) are one
//     letter and ё is е - lowercase plus a mapping char filter (ı -> i,
//     ё -> е) and a combining dot above after i removed.
//
// Stemming and diacritic-free matching use the stem candidates that
// store/words computes (in Go, at index and query time) for Azerbaijani,
// Russian and English: keyword fields stem_az, stem_ru, stem_en. Without
// the ICU plugin no Unicode normalisation (NFC) is applied; text from the
// extractor is NFC already.
func analysis() map[string]any {
	return map[string]any{
		"char_filter": map[string]any{
			cfApostroph: map[string]any{
				"type":     "mapping",
				"mappings": []string{`' => \u0020`, `’ => \u0020`, `ʼ => \u0020`, "` => \\u0020", `‘ => \u0020`},
			},
			cfFold: map[string]any{
				"type":     "mapping",
				"mappings": []string{"ı => i", "ё => е", "Ё => Е"},
			},
			cfDotAbove: map[string]any{
				"type":        "pattern_replace",
				"pattern":     "(?<=[iIİ])\u0307",
				"replacement": "",
			},
		},
		"normalizer": map[string]any{
			nmKeyword: map[string]any{
				"type":        "custom",
				"char_filter": []string{cfFold, cfDotAbove},
				"filter":      []string{"lowercase"},
			},
		},
		"analyzer": map[string]any{
			anText: map[string]any{
				"type": "custom", "tokenizer": "standard",
				"char_filter": []string{cfApostroph, cfFold, cfDotAbove},
				"filter":      []string{"lowercase"},
			},
		},
	}
}

// mappings of the article indices. Unknown fields (a later schema) are kept
// in _source but not indexed.
func mappings() map[string]any {
	text := func() map[string]any {
		return map[string]any{"type": "text", "analyzer": anText}
	}
	stems := map[string]any{"type": "keyword", "doc_values": false, "ignore_above": 256}
	keyword := func(withText bool) map[string]any {
		fields := map[string]any{
			"folded": map[string]any{"type": "keyword", "normalizer": nmKeyword, "ignore_above": 512},
		}
		if withText {
			fields["text"] = map[string]any{"type": "text", "analyzer": anText}
		}
		return map[string]any{"type": "keyword", "ignore_above": 512, "fields": fields}
	}
	plainKeyword := map[string]any{"type": "keyword", "ignore_above": 2048}
	notIndexed := map[string]any{"type": "keyword", "index": false, "doc_values": false}
	date := map[string]any{"type": "date", "format": "strict_date_optional_time_nanos||strict_date_optional_time"}
	return map[string]any{
		"dynamic": false,
		"_source": map[string]any{"excludes": []string{fStemPfx + "*"}},
		"properties": map[string]any{
			"schema":            plainKeyword,
			fID:                 plainKeyword,
			"url":               plainKeyword,
			"canonical_url":     plainKeyword,
			fOutlet:             keyword(false),
			fTitle:              text(),
			fLead:               text(),
			fBody:               text(),
			fAuthors:            keyword(true),
			fSection:            keyword(false),
			fTags:               keyword(false),
			fLang:               keyword(false),
			fPublished:          date,
			"date_source":       plainKeyword,
			"modified_at":       date,
			"image":             notIndexed,
			"views":             map[string]any{"type": "long"},
			"links":             notIndexed,
			"fetched_at":        date,
			"content_hash":      plainKeyword,
			"version":           map[string]any{"type": "integer"},
			fStory:              plainKeyword,
			fSortDate:           date,
			fVersions:           map[string]any{"type": "object", "enabled": false},
			fStemPfx + words.AZ: stems,
			fStemPfx + words.RU: stems,
			fStemPfx + words.EN: stems,
		},
	}
}

// indexTemplate is the composable index template of the article indices:
// every index it creates joins the read alias.
func indexTemplate(cfg Config) map[string]any {
	return map[string]any{
		"index_patterns": []string{cfg.Prefix + "-articles-*"},
		"priority":       200,
		"_meta":          map[string]any{"description": "newswatch articles (schema article.v1)", "newswatch_mapping": mappingVersion},
		"template": map[string]any{
			"settings": map[string]any{
				"index": map[string]any{
					"number_of_shards":   cfg.Shards,
					"number_of_replicas": cfg.Replicas,
					"analysis":           analysis(),
					"max_result_window":  10000,
				},
			},
			"mappings": mappings(),
			"aliases":  map[string]any{readAlias(cfg): map[string]any{}},
		},
	}
}

// mappingVersion changes when the template changes in a way existing
// indices cannot follow (they keep their mapping until rollover).
const mappingVersion = 3 // 2: stem candidates from store/words; 3: story_id (added to older indices at Open)

func readAlias(cfg Config) string      { return cfg.Prefix + "-articles" }
func writeAlias(cfg Config) string     { return cfg.Prefix + "-articles-write" }
func templateName(cfg Config) string   { return cfg.Prefix + "-articles" }
func firstIndexName(cfg Config) string { return "<" + cfg.Prefix + "-articles-{now/d}-000001>" }
