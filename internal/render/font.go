package render

import (
	"image"
	"image/color"
)

// The label font: 3×5 pixel glyphs, drawn at an integer magnification. Only the
// characters that number labels and short captions need are defined; any other rune
// is drawn as '?'.
const (
	glyphW = 3
	glyphH = 5
)

var glyphs = map[rune][glyphH]string{
	'0': {"###", "#.#", "#.#", "#.#", "###"},
	'1': {".#.", "##.", ".#.", ".#.", "###"},
	'2': {"###", "..#", "###", "#..", "###"},
	'3': {"###", "..#", ".##", "..#", "###"},
	'4': {"#.#", "#.#", "###", "..#", "..#"},
	'5': {"###", "#..", "###", "..#", "###"},
	'6': {"###", "#..", "###", "#.#", "###"},
	'7': {"###", "..#", "..#", ".#.", ".#."},
	'8': {"###", "#.#", "###", "#.#", "###"},
	'9': {"###", "#.#", "###", "..#", "###"},
	'.': {"...", "...", "...", "...", ".#."},
	'-': {"...", "...", "###", "...", "..."},
	'+': {"...", ".#.", "###", ".#.", "..."},
	'e': {"###", "#..", "##.", "#..", "###"}, // drawn as a capital E: clearer at 3×5
	'a': {"...", "##.", ".##", "#.#", "###"},
	'n': {"...", "##.", "#.#", "#.#", "#.#"},
	'N': {"###", "#.#", "#.#", "#.#", "#.#"},
	'I': {"###", ".#.", ".#.", ".#.", "###"},
	'f': {".##", "#..", "###", "#..", "#.."},
	'l': {"##.", ".#.", ".#.", ".#.", "###"},
	'o': {"...", ".#.", "#.#", "#.#", ".#."},
	'g': {".##", "#.#", ".##", "..#", "##."},
	'm': {"...", "###", "###", "#.#", "#.#"},
	'x': {"...", "#.#", ".#.", ".#.", "#.#"},
	'i': {".#.", "...", ".#.", ".#.", ".#."},
	' ': {"...", "...", "...", "...", "..."},
	':': {"...", ".#.", "...", ".#.", "..."},
	'=': {"...", "###", "...", "###", "..."},
	'|': {".#.", ".#.", ".#.", ".#.", ".#."},
	'?': {"###", "..#", ".#.", "...", ".#."},
}

// textWidth is the width in pixels of s drawn at magnification scale (one blank
// column between glyphs, none after the last).
func textWidth(s string, scale int) int {
	n := len([]rune(s))
	if n == 0 {
		return 0
	}
	return (n*(glyphW+1) - 1) * scale
}

// textHeight is the height in pixels of a line drawn at magnification scale.
func textHeight(scale int) int { return glyphH * scale }

// drawText draws s with its top-left corner at (x, y), each font pixel a
// scale×scale square of colour c. Pixels outside img are skipped.
func drawText(img *image.NRGBA, x, y int, s string, scale int, c color.NRGBA) {
	for _, r := range s {
		g, ok := glyphs[r]
		if !ok {
			g = glyphs['?']
		}
		for gy := 0; gy < glyphH; gy++ {
			for gx := 0; gx < glyphW; gx++ {
				if g[gy][gx] != '#' {
					continue
				}
				fillRect(img, x+gx*scale, y+gy*scale, scale, scale, c)
			}
		}
		x += (glyphW + 1) * scale
	}
}

// fillRect paints the w×h rectangle with top-left (x, y), clipped to img.
func fillRect(img *image.NRGBA, x, y, w, h int, c color.NRGBA) {
	r := image.Rect(x, y, x+w, y+h).Intersect(img.Rect)
	if r.Empty() {
		return
	}
	px := [4]uint8{c.R, c.G, c.B, c.A}
	for py := r.Min.Y; py < r.Max.Y; py++ {
		row := img.Pix[img.PixOffset(r.Min.X, py):img.PixOffset(r.Max.X, py)]
		for i := 0; i < len(row); i += 4 {
			copy(row[i:i+4], px[:])
		}
	}
}
