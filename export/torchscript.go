package export

import (
	"fmt"
	"strings"
)

// TorchScript returns the TorchScript source of net's forward method, over
// module attributes named as Tensors names the variables (self.fc1.weight
// for "fc1.weight"). It calls only builtin aten operators under the name
// `torch`, which is how libtorch's C++ Module.define resolves them, and
// each call is the one package torch makes (linear, conv2d,
// conv_transpose2d, batch_norm in eval mode, leaky_relu), so that the
// module computes what pipe computes.
func (m *Model) TorchScript(n *Net) string {
	var b strings.Builder
	args := make([]string, len(n.Inputs))
	for i, p := range n.Inputs {
		args[i] = p.Name
	}
	fmt.Fprintf(&b, "def forward(self, %s):\n", strings.Join(args, ", "))
	has := func(p string) bool { _, ok := m.Weights[n.Prefix+p]; return ok }
	for _, o := range n.ops {
		if o.kind >= opEmbed {
			for _, line := range torchScriptLM(o, selfAttr) {
				fmt.Fprintf(&b, "    %s\n", line)
			}
			continue
		}
		fmt.Fprintf(&b, "    %s = %s\n", o.out, o.torchScript(has))
	}
	outs := make([]string, len(n.Outputs))
	for i, p := range n.Outputs {
		outs[i] = p.Name
	}
	if len(outs) == 1 {
		fmt.Fprintf(&b, "    return %s\n", outs[0])
	} else {
		fmt.Fprintf(&b, "    return (%s)\n", strings.Join(outs, ", "))
	}
	return b.String()
}

// torchScript is the expression computing o; has reports whether an
// optional variable (a convolution's bias) exists.
func (o op) torchScript(has func(string) bool) string {
	self := selfAttr
	ps := o.params()
	pair := func(v int) string { return fmt.Sprintf("[%d, %d]", v, v) }
	switch o.kind {
	case opLinear:
		return fmt.Sprintf("torch.linear(%s, %s, %s)", o.in, self(ps[0]), self(ps[1]))
	case opConv, opConvT:
		bias := "None"
		if has(ps[1]) {
			bias = self(ps[1])
		}
		if o.kind == opConv {
			return fmt.Sprintf("torch.conv2d(%s, %s, %s, %s, %s, [1, 1], 1)",
				o.in, self(ps[0]), bias, pair(o.stride), pair(o.pad))
		}
		return fmt.Sprintf("torch.conv_transpose2d(%s, %s, %s, %s, %s, [0, 0], 1, [1, 1])",
			o.in, self(ps[0]), bias, pair(o.stride), pair(o.pad))
	case opBatchNorm:
		// Eval mode: the running statistics normalise; momentum 0.1 is
		// unused then but the signature wants it.
		return fmt.Sprintf("torch.batch_norm(%s, %s, %s, %s, %s, False, 0.1, %g, False)",
			o.in, self(ps[0]), self(ps[1]), self(ps[2]), self(ps[3]), batchNormEps)
	case opLeaky:
		return fmt.Sprintf("torch.leaky_relu(%s, %g)", o.in, o.alpha)
	case opRelu:
		return fmt.Sprintf("torch.relu(%s)", o.in)
	case opTanh:
		return fmt.Sprintf("torch.tanh(%s)", o.in)
	case opSigmoid:
		return fmt.Sprintf("torch.sigmoid(%s)", o.in)
	case opFlatten:
		return fmt.Sprintf("torch.flatten(%s, 1)", o.in)
	case opReshape:
		dims := make([]string, len(o.shape))
		for i, d := range o.shape {
			dims[i] = fmt.Sprint(d)
		}
		return fmt.Sprintf("torch.reshape(%s, [%s])", o.in, strings.Join(dims, ", "))
	}
	panic(fmt.Sprintf("export: operation %d has no TorchScript form", o.kind))
}

// ScriptClass is the TorchScript class of net's module, qualified under
// __torch__ by the builder: "pipe.GanDcganGenerator", "pipe.VaeMlpEncoder".
func (m *Model) ScriptClass(n *Net) string {
	return "pipe." + title(m.Kind) + title(m.Config.Arch) + title(n.Name)
}

func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// selfAttr is the TorchScript expression of the module attribute at a
// dotted path. Numbered submodules (blocks.0) are not identifiers and go
// through getattr, as torch.jit.script writes a ModuleList's members.
func selfAttr(path string) string {
	e := "self"
	for _, seg := range strings.Split(path, ".") {
		if seg != "" && seg[0] >= '0' && seg[0] <= '9' {
			e = fmt.Sprintf("getattr(%s, %q)", e, seg)
		} else {
			e += "." + seg
		}
	}
	return e
}
