package workload

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// Title is one entry of the catalogue.
type Title struct {
	ID         string
	StudioID   string
	Restricted bool
}

// Catalogue holds the titles, their studios and Zipf popularity. Unlike the
// population it is materialised (bounded by MaxTitles), so sampling a title
// is a table look-up and its strings are never formatted on the hot path.
type Catalogue struct {
	titles     []string
	studioOf   []uint32
	studios    []string
	restricted []bool
	// Vose alias table over title ranks: title i has rank i.
	prob  []float64
	alias []uint32
}

func newCatalogue(s *Spec) *Catalogue {
	cs := &s.Catalogue
	c := &Catalogue{
		titles:     make([]string, cs.Titles),
		studioOf:   make([]uint32, cs.Titles),
		studios:    make([]string, cs.Studios),
		restricted: make([]bool, cs.Studios),
	}
	for i := range c.studios {
		c.studios[i] = "s" + strconv.Itoa(i)
	}
	// Exactly round(share × studios) restricted studios, chosen by a seeded
	// shuffle, so the share is exact rather than approximately sampled.
	perm := make([]int, cs.Studios)
	for i := range perm {
		perm[i] = i
	}
	r := rand.New(rand.NewPCG(s.Seed, saltRestricted))
	r.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	nr := int(math.Round(cs.Restricted * float64(cs.Studios)))
	for _, st := range perm[:nr] {
		c.restricted[st] = true
	}
	for i := range c.titles {
		c.titles[i] = "t" + strconv.Itoa(i)
		c.studioOf[i] = uint32(hash3(s.Seed, uint64(i), saltStudio) % uint64(cs.Studios))
	}
	w := make([]float64, cs.Titles)
	for i := range w {
		w[i] = math.Pow(float64(i+1), -cs.Skew)
	}
	c.prob, c.alias = aliasTable(w)
	return c
}

// aliasTable builds Vose's alias tables for weights w (not all zero).
func aliasTable(w []float64) ([]float64, []uint32) {
	n := len(w)
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	prob := make([]float64, n)
	alias := make([]uint32, n)
	scaled := make([]float64, n)
	small := make([]int, 0, n)
	large := make([]int, 0, n)
	for i, x := range w {
		scaled[i] = x * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		prob[s] = scaled[s]
		alias[s] = uint32(l)
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range large {
		prob[i] = 1
	}
	for _, i := range small {
		prob[i] = 1 // rounding leftovers
	}
	return prob, alias
}

// Len is the number of titles.
func (c *Catalogue) Len() int { return len(c.titles) }

// Title returns title i (0 is the most popular).
func (c *Catalogue) Title(i int) Title {
	st := c.studioOf[i]
	return Title{ID: c.titles[i], StudioID: c.studios[st], Restricted: c.restricted[st]}
}

// Restricted reports whether title i belongs to a restricted studio.
func (c *Catalogue) Restricted(i int) bool { return c.restricted[c.studioOf[i]] }

// Popularity is title i's probability of being picked.
func (c *Catalogue) Popularity(i int) float64 {
	n := float64(len(c.prob))
	p := c.prob[i] / n
	for j, a := range c.alias {
		if int(a) == i && c.prob[j] < 1 {
			p += (1 - c.prob[j]) / n
		}
	}
	return p
}

// sample draws a title index from two 32-bit halves of one random word.
func (c *Catalogue) sample(x uint64) int {
	i := int((x >> 32) * uint64(len(c.prob)) >> 32)
	if float64(uint32(x))*0x1p-32 < c.prob[i] {
		return i
	}
	return int(c.alias[i])
}
