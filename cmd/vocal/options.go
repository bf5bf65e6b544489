package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/vocal-dev/vocal/lexicons"
	"github.com/vocal-dev/vocal/models"
	"github.com/vocal-dev/vocal/pipeline"
	"github.com/vocal-dev/vocal/pipeline/alert"
	"github.com/vocal-dev/vocal/pipeline/llm"
	"github.com/vocal-dev/vocal/pipeline/rootcause"
	"github.com/vocal-dev/vocal/sentiment"
)

// Config is the YAML configuration file (--config); flags override it.
type Config struct {
	Input             pipeline.InputConfig `yaml:"input"`
	Lexicons          string               `yaml:"lexicons"`             // directory overriding embedded lexicon files
	Taxonomy          string               `yaml:"taxonomy"`             // taxonomy YAML replacing the embedded one
	Workers           int                  `yaml:"workers"`              // 0 = all cores
	NeutralBand       float64              `yaml:"neutral_band"`         // documents with |score| below this are neutral
	AspectBand        float64              `yaml:"aspect_neutral_band"`  // the same for topic mentions
	TimeField         string               `yaml:"time_field"`           // partitions records by this field's day
	BatchRows         int                  `yaml:"batch_rows"`           // rows per Arrow batch / Parquet row group
	Models            string               `yaml:"models"`               // "" embedded, "none" lexicons only, or a directory of model files
	ModelUnsure       *float64             `yaml:"model_unsure"`         // model confidence below which the lexicons' label stands; unset: each model's own
	TopicModelMinProb float64              `yaml:"topic_model_min_prob"` // topic model probability that adds a mention in a clause without a cue
	Alerts            alert.Config         `yaml:"alerts"`               // alert rules and routes (run and stream)
	RootCause         rootcause.Config     `yaml:"rootcause"`            // scores join, drivers, trends, key_drivers tables (run)
	LLM               llm.Config           `yaml:"llm"`                  // optional LLM assist (tag, run) and summaries; off by default
	Redact            bool                 `yaml:"redact"`               // replace personal data in the text before tagging (tag, run)
}

// DefaultConfig returns every default.
func DefaultConfig() Config {
	return Config{Input: pipeline.DefaultInputConfig(), NeutralBand: 0.15, AspectBand: 0.1, TimeField: "created_at", BatchRows: 8192,
		TopicModelMinProb: pipeline.DefaultTopicMinProb,
		RootCause:         rootcause.DefaultConfig(), LLM: llm.DefaultConfig()}
}

// Validate checks the configuration at start-up.
func (c Config) Validate() error {
	if err := c.Input.Validate(); err != nil {
		return err
	}
	if c.Workers < 0 {
		return fmt.Errorf("workers %d: want 0 (all cores) or more", c.Workers)
	}
	if c.NeutralBand < 0 || c.NeutralBand >= 1 || c.AspectBand < 0 || c.AspectBand >= 1 {
		return fmt.Errorf("neutral_band %v, aspect_neutral_band %v: want [0, 1)", c.NeutralBand, c.AspectBand)
	}
	if u := c.ModelUnsure; u != nil && (*u < 0 || *u > 1) {
		return fmt.Errorf("model_unsure %v: want [0, 1]", *u)
	}
	if c.TopicModelMinProb < 0 || c.TopicModelMinProb > 1 {
		return fmt.Errorf("topic_model_min_prob %v: want [0, 1]", c.TopicModelMinProb)
	}
	if c.BatchRows < 1 {
		return fmt.Errorf("batch_rows %d: want at least 1", c.BatchRows)
	}
	if err := c.RootCause.Validate(); err != nil {
		return fmt.Errorf("rootcause: %w", err)
	}
	if err := c.LLM.Validate(); err != nil {
		return fmt.Errorf("llm: %w", err)
	}
	return c.Alerts.Validate()
}

type globalOptions struct {
	configFile string
	cfg        Config
}

func (o *globalOptions) register(root *cobra.Command) {
	o.cfg = DefaultConfig()
	f := root.PersistentFlags()
	f.StringVar(&o.configFile, "config", "", "YAML configuration file (flags override it)")
	f.StringVar(&o.cfg.Lexicons, "lexicons", "", "directory of lexicon files overriding the embedded ones")
	f.StringVar(&o.cfg.Taxonomy, "taxonomy", "", "taxonomy YAML file replacing the embedded one")
	f.StringVar(&o.cfg.Models, "models", "", `sentiment models: "" the embedded ones, "none" lexicons only, or a directory of model files`)
	f.IntVar(&o.cfg.Workers, "workers", 0, "tagging workers (0 = all cores)")
	f.StringVar(&o.cfg.Input.IDField, "id-field", "id", "input field holding the record id")
	f.StringVar(&o.cfg.Input.TextField, "text-field", "text", "input field holding the feedback text")
	f.StringVar(&o.cfg.Input.Format, "format", "auto", "input format: auto (by extension), jsonl, csv")
	f.StringVar(&o.cfg.Input.Encoding, "encoding", "auto", "input encoding: auto, utf-8, gbk, gb18030")
}

// load merges the config file under the flags that were set, then validates.
func (o *globalOptions) load(cmd *cobra.Command) (Config, error) {
	cfg := DefaultConfig()
	if o.configFile != "" {
		raw, err := os.ReadFile(o.configFile)
		if err != nil {
			return cfg, usagef("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil {
			return cfg, usagef("config %s: %w", o.configFile, err)
		}
	}
	flags := cmd.Flags()
	set := func(name string, apply func()) {
		if flags.Changed(name) {
			apply()
		}
	}
	set("lexicons", func() { cfg.Lexicons = o.cfg.Lexicons })
	set("taxonomy", func() { cfg.Taxonomy = o.cfg.Taxonomy })
	set("models", func() { cfg.Models = o.cfg.Models })
	set("workers", func() { cfg.Workers = o.cfg.Workers })
	set("id-field", func() { cfg.Input.IDField = o.cfg.Input.IDField })
	set("text-field", func() { cfg.Input.TextField = o.cfg.Input.TextField })
	set("format", func() { cfg.Input.Format = o.cfg.Input.Format })
	set("encoding", func() { cfg.Input.Encoding = o.cfg.Input.Encoding })
	set("time-field", func() { cfg.TimeField = o.cfg.TimeField })
	setRootCauseFlags(set, &cfg.RootCause, o.cfg.RootCause)
	setLLMFlags(set, &cfg, o.cfg)
	cfg.RootCause.TimeField = cfg.TimeField
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{err}
	}
	return cfg, nil
}

// analyzer loads lexicons and taxonomy and builds the tag stage.
func analyzer(cfg Config) (*pipeline.Analyzer, error) {
	var set *lexicons.Set
	var err error
	if cfg.Lexicons != "" {
		if st, serr := os.Stat(cfg.Lexicons); serr != nil || !st.IsDir() {
			return nil, usagef("--lexicons %s: not a directory", cfg.Lexicons)
		}
		set, err = lexicons.Load(os.DirFS(cfg.Lexicons))
	} else {
		set, err = lexicons.Default()
	}
	if err != nil {
		return nil, err
	}
	if cfg.Taxonomy != "" {
		raw, err := os.ReadFile(cfg.Taxonomy)
		if err != nil {
			return nil, usagef("--taxonomy: %w", err)
		}
		if set.Taxonomy, err = lexicons.ParseTaxonomy(cfg.Taxonomy, raw); err != nil {
			return nil, err
		}
	}
	ms, err := loadModels(cfg.Models)
	if err != nil {
		return nil, err
	}
	opts := []sentiment.Option{sentiment.WithNeutralBand(cfg.NeutralBand, cfg.AspectBand)}
	if cfg.ModelUnsure != nil {
		opts = append(opts, sentiment.WithUnsure(*cfg.ModelUnsure))
	}
	return pipeline.NewAnalyzerWithModels(set, ms, cfg.TopicModelMinProb, opts...)
}

// loadModels returns the models named by the models setting, nil for "none".
func loadModels(setting string) (*models.Set, error) {
	var ms *models.Set
	var err error
	switch setting {
	case "none":
		return nil, nil
	case "":
		ms, err = models.Default()
	default:
		if st, serr := os.Stat(setting); serr != nil || !st.IsDir() {
			return nil, usagef("--models %s: not a directory (or \"none\")", setting)
		}
		ms, err = models.Load(os.DirFS(setting))
	}
	if err != nil {
		return nil, err
	}
	return ms, nil
}
