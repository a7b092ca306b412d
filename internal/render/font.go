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

// wideGlyphs are 5×5 capitals for captions: at 3×5, "log" reads as "1o3", and O and
// G would read as 0 and 6; these have rounded O and G, distinct from every digit.
var wideGlyphs = map[rune][glyphH]string{
	'L': {"#....", "#....", "#....", "#....", "#####"},
	'O': {".###.", "#...#", "#...#", "#...#", ".###."},
	'G': {".####", "#....", "#..##", "#...#", ".###."},
}

// glyph returns the pattern of r ('?' for an unknown rune) and its width.
func glyph(r rune) ([glyphH]string, int) {
	if g, ok := wideGlyphs[r]; ok {
		return g, len(g[0])
	}
	if g, ok := glyphs[r]; ok {
		return g, glyphW
	}
	return glyphs['?'], glyphW
}

// textWidth is the width in pixels of s drawn at magnification scale (one blank
// column between glyphs, none after the last).
func textWidth(s string, scale int) int {
	w := 0
	for _, r := range s {
		_, gw := glyph(r)
		w += gw + 1
	}
	if w == 0 {
		return 0
	}
	return (w - 1) * scale
}

// textHeight is the height in pixels of a line drawn at magnification scale.
func textHeight(scale int) int { return glyphH * scale }

// drawText draws s with its top-left corner at (x, y), each font pixel a
// scale×scale square of colour c. Pixels outside img are skipped.
func drawText(img *image.NRGBA, x, y int, s string, scale int, c color.NRGBA) {
	for _, r := range s {
		g, gw := glyph(r)
		for gy := 0; gy < glyphH; gy++ {
			for gx := 0; gx < gw; gx++ {
				if g[gy][gx] != '#' {
					continue
				}
				fillRect(img, x+gx*scale, y+gy*scale, scale, scale, c)
			}
		}
		x += (gw + 1) * scale
	}
}

// fillRect paints the w×h rectangle with top-left (x, y), clipped to img.
func fillRect(img *image.NRGBA, x, y, w, h int, c color.NRGBA) {
	r := image.Rect(x, y, x+w, y+h).Intersect(img.Rect)
	if r.Empty() {
		return
	}
	// The first row pixel by pixel, doubling the filled part with each copy;
	// the other rows are copies of it.
	first := img.Pix[img.PixOffset(r.Min.X, r.Min.Y):img.PixOffset(r.Max.X, r.Min.Y)]
	first[0], first[1], first[2], first[3] = c.R, c.G, c.B, c.A
	for n := 4; n < len(first); n *= 2 {
		copy(first[n:], first[:n])
	}
	for py := r.Min.Y + 1; py < r.Max.Y; py++ {
		copy(img.Pix[img.PixOffset(r.Min.X, py):img.PixOffset(r.Max.X, py)], first)
	}
}
