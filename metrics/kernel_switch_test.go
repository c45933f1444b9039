//go:build amd64 && !purego

package metrics

// withKernel runs f with the assembly kernels switched on or off.
func withKernel(avx bool, f func()) {
	old := useAVX512
	useAVX512 = avx && old
	defer func() { useAVX512 = old }()
	f()
}
