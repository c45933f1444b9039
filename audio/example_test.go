package audio_test

import (
	"fmt"
	"log"

	"github.com/pipe-ml/pipe/audio"
)

// Log-mel features as most speech models take them: 80 HTK mels of the
// power spectrogram, in dB, floored 80 dB below the peak.
func ExampleMelSpectrogram() {
	a, err := audio.ReadWAVFile("testdata/refcases/chirp_16k.wav")
	if err != nil {
		log.Fatal(err)
	}
	o := audio.DefaultMelOptions()
	o.SampleRate, o.NFFT, o.WinLength, o.HopLength, o.NMels = a.Rate, 1024, 1024, 256, 80
	mel, nMels, nFrames, err := audio.MelSpectrogram(a.Mono(), o)
	if err != nil {
		log.Fatal(err)
	}
	db := audio.DefaultDBOptions()
	db.TopDB = 80
	logMel, err := audio.AmplitudeToDB(mel, db)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(nMels, nFrames, len(logMel))
	// Output: 80 63 5040
}

func ExampleResample() {
	a, err := audio.ReadWAVFile("testdata/refcases/chirp_16k.wav")
	if err != nil {
		log.Fatal(err)
	}
	y, err := audio.Resample(a.Mono(), a.Rate, 22050)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.Len(), "->", len(y))
	// Output: 16000 -> 22050
}
