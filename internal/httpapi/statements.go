package httpapi

import (
	"context"
	"encoding/base64"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/statement"
)

// StatusStatements signs a pledge's status statement from the registry as
// it is now (*statement.Issuer; docs/status-statements.md).
type StatusStatements interface {
	Issue(ctx context.Context, pledgeID string) ([]byte, statement.Statement, error)
}

// Media type of a signed status statement (a C2SP signed note).
const mediaStatusStatement = "text/plain; charset=utf-8"

// HeaderStatusStatement carries, on a package download, the pledge's
// latest signed status statement, base64: the package bytes stay those of
// pledgeseal.package/v1, so every verifier reads them as before.
const HeaderStatusStatement = "PledgeSeal-Status-Statement"

func (s *Server) statementRoutes() {
	if s.deps.Pledges == nil {
		return
	}
	s.handle(http.MethodGet, "/v1/pledges/{id}/status-statement", anyone(), s.pledgeStatusStatement)
}

// issueStatement signs the statement of pledge id: 404
// STATUS_KEY_NOT_CONFIGURED without a status key, 404 PLEDGE_NOT_FOUND for
// an unknown pledge, 503 TRY_LATER when the registry cannot be read
// (nothing is signed then).
func (s *Server) issueStatement(ctx context.Context, id string) ([]byte, error) {
	if s.deps.Statements == nil {
		return nil, apperr.New(apperr.NotFound, "this service signs no status statements (no status identity in the trust material) / 本服务未配置状态声明密钥").WithCode(apperr.CodeStatusKeyNotConfigured)
	}
	if !validPledgeID(id) {
		return nil, apperr.New(apperr.NotFound, "no such pledge").WithCode(apperr.CodePledgeNotFound)
	}
	signed, _, err := s.deps.Statements.Issue(ctx, id)
	return signed, err
}

// pledgeStatusStatement returns the pledge's status now as a statement
// signed with the status key, for relying parties that check it later
// without network access (pledgectl status verify). Public, like the
// status URL; rate limited in the verification scope.
func (s *Server) pledgeStatusStatement(c *gin.Context, _ auth.Principal) error {
	id := c.Param("id")
	signed, err := s.issueStatement(c.Request.Context(), id)
	if err != nil {
		return err
	}
	// Each request reads the registry again: no cache may hand out an
	// older statement than the registry's state.
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Disposition", `inline; filename="`+id+`.status-statement.txt"`)
	c.Data(http.StatusOK, mediaStatusStatement, signed)
	return nil
}

// attachStatement sets the package download's status statement header
// when a statement can be signed now. The package is the applicant's and
// the agency's whatever the registry says, so a statement that cannot be
// signed (no status key, registry unreadable) leaves the header out and
// the download goes on: the download never carries an old statement.
func (s *Server) attachStatement(c *gin.Context, id string) {
	signed, err := s.issueStatement(c.Request.Context(), id)
	if err != nil {
		if apperr.KindOf(err) != apperr.NotFound {
			s.log.WarnContext(c.Request.Context(), "package download without a status statement", "err", err.Error())
		}
		return
	}
	c.Header(HeaderStatusStatement, base64.StdEncoding.EncodeToString(signed))
}
