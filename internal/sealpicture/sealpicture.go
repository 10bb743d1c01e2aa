// Package sealpicture draws the impression of a round official seal for
// development seals and tests: what applicants and officers see on a notice,
// a package or a sealed OFD when no real seal picture was filed. SVG draws
// the agency's name along the ring around a five-pointed star (the text is
// rendered by the reader in 宋体/SimSun: no font is shipped); PNG draws the
// ring and star only. It knows nothing of seal formats or keys.
package sealpicture

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
)

// MinSize and MaxSize bound the edge of the square picture in pixels.
const (
	MinSize = 16
	MaxSize = 1024
)

// red is the seal ink colour.
var red = color.NRGBA{R: 0xd4, A: 0xff}

// PNG returns a size×size PNG with a transparent background: a ring at
// 84–96% of the radius and a star whose points reach half the radius.
func PNG(size int) ([]byte, error) {
	if size < MinSize || size > MaxSize {
		return nil, fmt.Errorf("sealpicture: size %d outside %d..%d", size, MinSize, MaxSize)
	}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	c := float64(size) / 2
	var xs, ys [10]float64 // star vertices, alternating outer and inner radius
	for i := range xs {
		r := c * 0.5
		if i%2 == 1 {
			r = c * 0.2
		}
		a := -math.Pi/2 + float64(i)*math.Pi/5
		xs[i], ys[i] = c+r*math.Cos(a), c+r*math.Sin(a)
	}
	inStar := func(x, y float64) bool { // even-odd rule
		in := false
		for i, j := 0, len(xs)-1; i < len(xs); j, i = i, i+1 {
			if (ys[i] > y) != (ys[j] > y) && x < (xs[j]-xs[i])*(y-ys[i])/(ys[j]-ys[i])+xs[i] {
				in = !in
			}
		}
		return in
	}
	for y := range size {
		for x := range size {
			fx, fy := float64(x)+.5, float64(y)+.5
			d := math.Hypot(fx-c, fy-c)
			if d >= c*0.84 && d <= c*0.96 || inStar(fx, fy) {
				img.SetNRGBA(x, y, red)
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
