package model

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// The checkpoint format, version 1, all integers little-endian:
//
//	magic    "RCSDLM" (6 bytes)
//	version  uint16 = 1
//	config   vocab, context, width, heads, layers: uint32 each
//	count    uint32, the number of tensors (Config.Specs order)
//	tensors  each: name length uint16, name, rank uint8, dims uint32 × rank,
//	         then its elements as float32
//
// and nothing after the last tensor. Float32 whatever the model's F (a
// float64 model is rounded on Save). Tensors of similar values compress
// well with gzip, which the caller adds if it wants.
const (
	checkpointMagic   = "RCSDLM"
	checkpointVersion = 1
)

// Save writes p as a checkpoint.
func Save[F Float](w io.Writer, p *Params[F]) error {
	bw := bufio.NewWriter(w)
	c := p.Config
	var hdr []byte
	hdr = append(hdr, checkpointMagic...)
	hdr = binary.LittleEndian.AppendUint16(hdr, checkpointVersion)
	for _, v := range []int{c.Vocab, c.Context, c.Width, c.Heads, c.Layers} {
		hdr = binary.LittleEndian.AppendUint32(hdr, uint32(v))
	}
	ts := p.Tensors()
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(ts)))
	if _, err := bw.Write(hdr); err != nil {
		return err
	}
	buf := make([]byte, 0, 4096)
	for _, t := range ts {
		buf = binary.LittleEndian.AppendUint16(buf[:0], uint16(len(t.Name)))
		buf = append(buf, t.Name...)
		buf = append(buf, byte(len(t.Shape)))
		for _, d := range t.Shape {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(d))
		}
		if _, err := bw.Write(buf); err != nil {
			return err
		}
		for i := 0; i < len(t.Data); i += 1024 {
			buf = buf[:0]
			for _, v := range t.Data[i:min(i+1024, len(t.Data))] {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(v)))
			}
			if _, err := bw.Write(buf); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// Load reads a checkpoint written by Save. It checks the magic, the
// version, the config (Config.Validate), every tensor's name and shape
// against the config's, that every value is finite, and that nothing
// follows the last tensor; errors name the byte offset and the tensor.
// It never allocates more than the config's parameters need.
func Load[F Float](r io.Reader) (*Params[F], error) {
	cr := &countReader{r: bufio.NewReader(r)}
	var hdr [8 + 5*4 + 4]byte
	if _, err := io.ReadFull(cr, hdr[:]); err != nil {
		return nil, fmt.Errorf("model: checkpoint header: %w (it is %d bytes, read %d)", unexpected(err), len(hdr), cr.n)
	}
	if string(hdr[:6]) != checkpointMagic {
		return nil, fmt.Errorf("model: not a checkpoint: it starts with %q, expected %q", hdr[:6], checkpointMagic)
	}
	if v := binary.LittleEndian.Uint16(hdr[6:]); v != checkpointVersion {
		return nil, fmt.Errorf("model: checkpoint version %d; this build reads version %d", v, checkpointVersion)
	}
	u := func(i int) int { return int(binary.LittleEndian.Uint32(hdr[8+4*i:])) }
	c := Config{Vocab: u(0), Context: u(1), Width: u(2), Heads: u(3), Layers: u(4)}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("model: checkpoint header: %s", strings.TrimPrefix(err.Error(), "model: "))
	}
	specs := c.Specs()
	if n := u(5); n != len(specs) {
		return nil, fmt.Errorf("model: checkpoint header lists %d tensors; the config %+v has %d", n, c, len(specs))
	}
	p := NewParams[F](c)
	var small [4 * 8]byte
	data := make([]byte, 4096)
	for i, t := range p.Tensors() {
		at := cr.n
		if _, err := io.ReadFull(cr, small[:2]); err != nil {
			return nil, fmt.Errorf("model: checkpoint tensor %d (%s) at byte %d: %w", i, t.Name, at, unexpected(err))
		}
		nl := int(binary.LittleEndian.Uint16(small[:]))
		if nl != len(t.Name) {
			return nil, fmt.Errorf("model: checkpoint tensor %d at byte %d: a name of %d bytes, expected %q", i, at, nl, t.Name)
		}
		name := make([]byte, nl+1)
		if _, err := io.ReadFull(cr, name); err != nil {
			return nil, fmt.Errorf("model: checkpoint tensor %d (%s) at byte %d: %w", i, t.Name, at, unexpected(err))
		}
		if string(name[:nl]) != t.Name {
			return nil, fmt.Errorf("model: checkpoint tensor %d at byte %d is %q, expected %q", i, at, name[:nl], t.Name)
		}
		rank := int(name[nl])
		if rank != len(t.Shape) {
			return nil, fmt.Errorf("model: checkpoint tensor %s at byte %d has rank %d, expected %d (shape %v)", t.Name, at, rank, len(t.Shape), t.Shape)
		}
		if _, err := io.ReadFull(cr, small[:4*rank]); err != nil {
			return nil, fmt.Errorf("model: checkpoint tensor %s at byte %d: %w", t.Name, at, unexpected(err))
		}
		for j, d := range t.Shape {
			if got := int(binary.LittleEndian.Uint32(small[4*j:])); got != d {
				return nil, fmt.Errorf("model: checkpoint tensor %s at byte %d has dimension %d = %d, expected %d (shape %v)", t.Name, at, j, got, d, t.Shape)
			}
		}
		for j := 0; j < len(t.Data); j += len(data) / 4 {
			n := min(len(data)/4, len(t.Data)-j)
			if _, err := io.ReadFull(cr, data[:4*n]); err != nil {
				return nil, fmt.Errorf("model: checkpoint tensor %s: %w after %d of its %d values", t.Name, unexpected(err), j, len(t.Data))
			}
			for q := range n {
				v := math.Float32frombits(binary.LittleEndian.Uint32(data[4*q:]))
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return nil, fmt.Errorf("model: checkpoint tensor %s[%d] is %v; weights must be finite", t.Name, j+q, v)
				}
				t.Data[j+q] = F(v)
			}
		}
	}
	if n, _ := cr.Read(small[:1]); n != 0 {
		return nil, fmt.Errorf("model: checkpoint has data after its last tensor, at byte %d", cr.n-1)
	}
	return p, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

type countReader struct {
	r *bufio.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
