// Package models holds vocal's trained classifiers as data, with their loader
// and learner: multinomial logistic regression over hashed sparse features
// (word and character n-grams from our segmenter, plus lexicon features),
// trained by `vocal train` and embedded by default.
//
//	set, err := models.Default() // the embedded sentiment models
//	if err != nil { ... }
//	m := set.Sentiment["zh"]
//	probs := m.Predict(features, nil) // probabilities in m.Classes order
//
// A model file is gzip-compressed: one JSON header line (Header), then the
// weights as little-endian float32. Loaders return errors naming the file;
// they never panic. Like lexicons, the package imports nothing of vocal's.
package models
