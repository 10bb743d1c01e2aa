package store

import (
	"context"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/registry"
)

// TaskRepo keeps post-check tasks under one hash tag ({enft}): the hash
// {enft}:tasks (pledge id → task JSON, written once with HSETNX: a pledge
// has one task) and the sorted set {enft}:due (pledge id by due date as
// YYYYMMDD; exempt tasks score 0). Tasks are a work list; the legal record
// is the finding in the registry slot.
type TaskRepo struct{ st *Store }

// NewTaskRepo returns the task repository over s.
func NewTaskRepo(s *Store) *TaskRepo { return &TaskRepo{st: s} }

const taskTag = "enft"

// taskPutLua stores a task unless one exists. KEYS[1] tasks hash, KEYS[2]
// due zset; ARGV pledge id, JSON, score. Returns the stored JSON.
const taskPutLua = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  return ARGV[2]
end
return redis.call('HGET', KEYS[1], ARGV[1])
`

var taskPut = redis.NewScript(taskPutLua)

// PutTask stores a task (pledgeID → body) with its due score unless the
// pledge already has one; it returns the stored body and whether it is new.
func (r *TaskRepo) PutTask(ctx context.Context, pledgeID string, body []byte, dueScore int64) ([]byte, bool, error) {
	if err := registry.CheckCode("pledge id", pledgeID); err != nil {
		return nil, false, err
	}
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	got, err := taskPut.Run(ctx, r.st.rdb, []string{r.st.key(taskTag, "tasks"), r.st.key(taskTag, "due")},
		pledgeID, body, dueScore).Text()
	if err != nil {
		return nil, false, mapErr(err, "no such task")
	}
	return []byte(got), got == string(body), nil
}

// GetTask returns a task's body.
func (r *TaskRepo) GetTask(ctx context.Context, pledgeID string) ([]byte, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	b, err := r.st.rdb.HGet(ctx, r.st.key(taskTag, "tasks"), pledgeID).Bytes()
	if err != nil {
		return nil, mapErr(err, "no such post-check task / 未找到核查任务")
	}
	return b, nil
}

// TasksDue returns the bodies of tasks whose due score lies in [from, to]
// (YYYYMMDD; 0 = exempt), earliest first, at most limit.
func (r *TaskRepo) TasksDue(ctx context.Context, from, to int64, limit int64) ([][]byte, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	ids, err := r.st.rdb.ZRangeByScore(ctx, r.st.key(taskTag, "due"), &redis.ZRangeBy{
		Min: strconv.FormatInt(from, 10), Max: strconv.FormatInt(to, 10), Count: limit}).Result()
	if err != nil {
		return nil, mapErr(err, "no tasks")
	}
	if len(ids) == 0 {
		return nil, nil
	}
	vals, err := r.st.rdb.HMGet(ctx, r.st.key(taskTag, "tasks"), ids...).Result()
	if err != nil {
		return nil, mapErr(err, "no tasks")
	}
	out := make([][]byte, 0, len(vals))
	for _, v := range vals {
		s, ok := v.(string)
		if !ok {
			return nil, apperr.New(apperr.Internal, "a listed task is missing")
		}
		out = append(out, []byte(s))
	}
	return out, nil
}
