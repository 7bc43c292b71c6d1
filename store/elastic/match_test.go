package elastic

import (
	"testing"
	"time"

	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/store/storetest"
)

// TestMatcherAgreesOnSimulatedCorpus: store/match accepts exactly what
// the engine finds, on the fixtures and 90 simulated az/ru/en articles.
func TestMatcherAgreesOnSimulatedCorpus(t *testing.T) {
	engineURL(t)
	corpus, err := simsite.Corpus(simsite.Config{Seed: 3, Articles: 90, Outlets: 3}, "simsite.test", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	s := openTest(t, testConfig(t))
	defer s.Close()
	storetest.MatcherAgrees(t, s, corpus)
}
