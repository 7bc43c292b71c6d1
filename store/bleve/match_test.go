package bleve

import (
	"testing"
	"time"

	"github.com/newswatch/newswatch/simsite"
	"github.com/newswatch/newswatch/store/storetest"
)

// TestMatcherAgreesOnSimulatedCorpus: store/match accepts exactly what
// this store finds, on the fixtures and 90 simulated az/ru/en articles.
func TestMatcherAgreesOnSimulatedCorpus(t *testing.T) {
	corpus, err := simsite.Corpus(simsite.Config{Seed: 3, Articles: 90, Outlets: 3}, "simsite.test", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	s := open(t, t.TempDir())
	defer s.Close()
	storetest.MatcherAgrees(t, s, corpus)
}
