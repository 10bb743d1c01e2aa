package store

import "context"

// LatestNoticeVersion implements pledge.NoticeVersions: the number of the
// latest published version of notice id, 0 when none is. Versions are
// stored as 1..n in one hash, so this reads only the hash's length; a
// caller that keeps the published versions it has read (they never change)
// need not read a body again.
func (r *NoticeRepo) LatestNoticeVersion(ctx context.Context, id string) (int, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	n, err := r.st.rdb.HLen(ctx, r.versionsKey(id)).Result()
	if err != nil {
		return 0, mapErr(err, "no such notice")
	}
	return int(n), nil
}
