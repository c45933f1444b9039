// Package metrics computes evaluation metrics for generative-model
// experiments from data already in memory: the Fréchet distance between
// two sets of feature vectors (the arithmetic of FID) and corpus or
// sentence BLEU as sacreBLEU 2.6 computes it.
//
// Fréchet distance: ComputeStats turns an n x d float32 or float64 feature
// matrix into its mean and unbiased covariance (float64, two-pass);
// FrechetDistance compares two such Stats. The definitions, tolerances and
// traps are those of SPEC-numeric.md part A; the trace of the matrix square
// root is taken through Cholesky factors and a symmetric eigenvalue
// problem, so it is always real and needs no eps fallback. Sets with no
// more samples than features are refused unless the caller allows them.
//
// The dense linear algebra (packed matrix product, blocked Cholesky,
// two-stage tridiagonal reduction) is this package's own, with AVX-512
// assembly kernels on amd64 and portable Go loops elsewhere. At d = 2048
// the portable path and gonum's pure-Go BLAS both run the covariance at
// 1.4-3.3 GFLOP/s here (a loaded machine) against about 176 for the
// kernels, which would miss bench/fid.sh's 4x target by far. Every kernel is tested
// against its portable form (kernel_test.go, gemm_test.go), and the whole
// distance is checked with the kernels on and off. gonum provides the matrix
// type, pivoted Cholesky for singular covariances and the tridiagonal eigenvalue
// iteration.
//
// BLEU: CorpusBLEU, CorpusBLEUPerSegment and SentenceBLEU with sacreBLEU's
// tokenizers 13a, intl, char and none, smoothing exp, floor, add-k and none,
// lowercasing with Python's str.lower, effective order, the signature and
// the text output (SPEC-text.md part B).
//
// Not here: feature extraction (no Inception network: the caller brings
// features, see SPEC-numeric.md A.7 for naming a distance that does not use
// the standard extractor), reading feature or text files, the
// tokenizers that need external resources (zh, ja-mecab, ko-mecab, spm,
// flores), other sacreBLEU metrics (chrF, TER), bootstrap resampling
// (BLEUSegmentStats gives what it needs), and GPU code.
package metrics
