package codectest

import "testing"

func TestSamplesCoverEveryField(t *testing.T) { CheckSamplesComplete(t) }
