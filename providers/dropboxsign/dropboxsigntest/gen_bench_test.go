package dropboxsigntest

import "testing"

func BenchmarkGenerate100k(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Generate(GenConfig{Seed: int64(i), Size: 100000})
	}
}
