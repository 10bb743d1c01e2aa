package sealpicture

import (
	"bytes"
	"image/png"
	"testing"
)

func TestPNGDrawsARedRingAndStar(t *testing.T) {
	b, err := PNG(200)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 200 || img.Bounds().Dy() != 200 {
		t.Fatalf("bounds %v", img.Bounds())
	}
	ink := func(x, y int) bool {
		r, g, bl, a := img.At(x, y).RGBA()
		return a > 0 && r > 0x8000 && g == 0 && bl == 0
	}
	cases := []struct {
		name string
		x, y int
		want bool
	}{
		{"centre of the star", 100, 100, true},
		{"top point of the star", 100, 55, true},
		{"ring, left", 10, 100, true},
		{"ring, bottom", 100, 190, true},
		{"between star and ring", 100, 160, false},
		{"corner", 2, 2, false},
	}
	for _, c := range cases {
		if got := ink(c.x, c.y); got != c.want {
			t.Errorf("%s (%d,%d): ink %v, want %v", c.name, c.x, c.y, got, c.want)
		}
	}
}

func TestPNGRefusesSizesOutOfRange(t *testing.T) {
	for _, n := range []int{-1, 0, MinSize - 1, MaxSize + 1} {
		if _, err := PNG(n); err == nil {
			t.Errorf("size %d accepted", n)
		}
	}
}
