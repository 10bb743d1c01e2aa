package httpapi

import (
	"github.com/gin-gonic/gin"

	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/web"
)

// checkTexts words verification checks from the message catalogue
// (*web.Handler implements it).
type checkTexts interface {
	CheckText(lang, name, result, sub string) string
}

// localizeReports fills every check's Text in the language the request's
// Accept-Language asks for (default zh-CN) and says which in
// Content-Language; the machine codes (name, result, sub-indication) and
// the verifier's Detail stay as they are.
func (s *Server) localizeReports(c *gin.Context, rs []verify.Report) {
	lang := web.AcceptLanguage(c.GetHeader("Accept-Language"))
	c.Header("Content-Language", lang)
	c.Header("Vary", "Accept-Language")
	ct, ok := s.deps.Web.(checkTexts)
	if !ok {
		return
	}
	for i := range rs {
		for _, cs := range [][]verify.Check{rs[i].ValidAtSigning.Checks, rs[i].StatusNow.Checks} {
			for j := range cs {
				cs[j].Text = ct.CheckText(lang, cs[j].Name, string(cs[j].Result), string(cs[j].SubIndication))
			}
		}
	}
}
