// Package stages adapts pipe's libraries to the pipeline: one file a stage
// kind, each declaring its parameters and inputs and registering itself.
//
// Stages here need no libtorch; the kinds that train or run networks live
// in package stages/neural, which links it. Adapters stay thin: the
// numerical work belongs to packages tensor, augment, audio, tokenize and
// metrics, which know nothing of the pipeline.
//
// Conventions between stages, by file name:
//   - data.safetensors: an image dataset, "images" (N x C x H x W; U8 in
//     0..255 or F32 in [0, 1]) and, when known, "labels" (I64, N);
//   - features.safetensors and stats.safetensors: feature vectors and their
//     mean and covariance, with the extractor's name in the metadata;
//   - audio.safetensors and mel.safetensors: one tensor per clip;
//   - text.txt, heldout.txt, tokenizer.json and tokens.safetensors: text,
//     a BPE tokenizer and token ids.
package stages
