// Package ladder builds a scale's ladder of pretrained models: the
// pretraining stream (the mixture, decontaminated against every task's
// test text), the tokenizer, each size's pretraining with its build record,
// the n-gram baselines the ladder is measured against, and the recipe
// exploration (w2s zoo explore) that chose the recipe. Builds resume after
// any interruption.
package ladder
