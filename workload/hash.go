package workload

import "math"

// mix64 is the splitmix64 finaliser: a bijective 64-bit mix with full
// avalanche, so hash(seed, id, salt) gives independent-looking attributes
// without storing anything per customer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

const golden = 0x9e3779b97f4a7c15

// hash3 mixes a seed, an id and a salt naming the attribute.
func hash3(seed, id, salt uint64) uint64 {
	return mix64(seed ^ mix64(id+golden*(salt+1)))
}

// unit maps a hash to a float64 in [0, 1).
func unit(h uint64) float64 { return float64(h>>11) * 0x1p-53 }

// Attribute salts: each attribute draws from its own hash.
const (
	saltPlan uint64 = iota + 1
	saltDevices
	saltHistory
	saltHistory2
	saltStudio
	saltRestricted
	saltStream
	saltPreload
	saltPermute
	saltRun
	saltSpread
)

// normal turns two uniforms into a standard normal draw (Box–Muller).
func normal(u1, u2 float64) float64 {
	if u1 < 1e-300 {
		u1 = 1e-300
	}
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}
