// Package stages adapts pipe's libraries to the pipeline: one file a stage
// kind, each declaring its parameters and inputs and registering itself.
//
// Stages here need no libtorch; the kinds that train or run networks live
// in package stages/neural, which links it. Adapters stay thin: the
// numerical work belongs to packages tensor, augment, audio, tokenize and
// metrics, which know nothing of the pipeline.
//
// Conventions between stages: an image dataset is a file "data.safetensors"
// holding "images" (N x C x H x W; U8 in 0..255 or F32) and, when known,
// "labels" (I64, N).
package stages
