package rootcause

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// scoreRows renders scores as key=csat/nps/ces with - for absent values.
func scoreRows(s *Scores) []string {
	var out []string
	for i, k := range s.Keys {
		var parts []string
		for _, x := range s.Values[i] {
			if math.IsNaN(x) {
				parts = append(parts, "-")
			} else {
				parts = append(parts, strconv.FormatFloat(x, 'g', -1, 64))
			}
		}
		out = append(out, k+"="+strings.Join(parts, "/"))
	}
	return out
}

func TestReadScores(t *testing.T) {
	cfg := DefaultConfig()
	for _, tt := range []struct {
		name, file string
		want       []string
		stats      ScoreFileStats
	}{
		{
			name: "scores.csv",
			file: "\ufeffid,nps,csat,ces,note\n" +
				"a,9,5,2,x\n" +
				"b,11,abc,,y\n" + // nps out of range, csat not a number, ces empty
				",3,3,3,z\n" + // no key
				"c, 0 ,1.5,7,w\n" +
				"a,10,4,1,again\n", // duplicate: the later row wins
			want:  []string{"b=-/-/-", "c=1.5/0/7", "a=4/10/1"},
			stats: ScoreFileStats{Rows: 5, MissingKey: 1, DuplicateKeys: 1, Invalid: 2},
		},
		{
			name: "scores.jsonl",
			file: `{"id":"a","nps":9,"csat":"5"}` + "\n\n" +
				`{"id":7,"nps":null,"ces":8}` + "\n" + // numeric key; ces out of range
				`{"nps":1}` + "\n",
			want:  []string{"a=5/9/-", "7=-/-/-"},
			stats: ScoreFileStats{Rows: 3, MissingKey: 1, Invalid: 1},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ReadScores(writeFile(t, tt.name, tt.file), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := scoreRows(s); !reflect.DeepEqual(got, tt.want) || s.Stats != tt.stats {
				t.Errorf("got %v %+v, want %v %+v", got, s.Stats, tt.want, tt.stats)
			}
			// Persisted as Parquet and read back (as a scores file too).
			dir := t.TempDir()
			p, err := s.persist(dir, "r1")
			if err != nil {
				t.Fatal(err)
			}
			back, err := ReadScores(p, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := scoreRows(back); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parquet round trip %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReadScoresErrors(t *testing.T) {
	cfg := DefaultConfig()
	for _, tt := range []struct{ name, file, want string }{
		{"s.csv", "key,nps\na,1\n", `no join key column "id"`},
		{"s.csv", "id,score\na,1\n", "no score column"},
		{"s.csv", "id,nps\na,1,2\n", "wrong number of fields"},
		{"s.jsonl", `{"id":"a","nps":1}` + "\n[1]\n", "s.jsonl:2: not a JSON object"},
		{"s.jsonl", `{"id":"a","score":1}` + "\n", "no score field"},
		{"s.txt", "id,nps\n", "unknown format"},
		{"s.parquet", "not parquet", "scores"},
	} {
		_, err := ReadScores(writeFile(t, tt.name, tt.file), cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %q: error %v, want %q", tt.name, tt.file, err, tt.want)
		}
	}
	if _, err := ReadScores(filepath.Join(t.TempDir(), "missing.csv"), cfg); err == nil {
		t.Error("missing file: no error")
	}
}

// FuzzReadScores: any file content gives scores or an error, never a panic,
// and every kept value is a valid score.
func FuzzReadScores(f *testing.F) {
	f.Add("id,nps,csat,ces\na,9,5,2\n", true)
	f.Add(`{"id":"a","nps":"9"}`+"\n", false)
	f.Add("id,nps\n\"a,1\n", true)
	f.Fuzz(func(t *testing.T, content string, csv bool) {
		name := "s.jsonl"
		if csv {
			name = "s.csv"
		}
		s, err := ReadScores(writeFile(t, name, content), DefaultConfig())
		if err != nil {
			return
		}
		if len(s.Keys) != len(s.Values) || int64(len(s.Keys))+s.Stats.MissingKey+s.Stats.DuplicateKeys != s.Stats.Rows {
			t.Fatalf("counts do not reconcile: %d keys, %+v", len(s.Keys), s.Stats)
		}
		for _, v := range s.Values {
			for j, x := range v {
				if !math.IsNaN(x) && !validScore(j, x) {
					t.Fatalf("kept invalid %s %v", scoreNames[j], x)
				}
			}
		}
	})
}
