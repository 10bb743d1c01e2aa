package store

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/registry"
)

// TaskRepo keeps post-check tasks under one hash tag ({enft}): the hash
// {enft}:tasks (pledge id → task JSON, written once with HSETNX: a pledge
// has one task), the sorted set {enft}:due (pledge id by due date as
// YYYYMMDD; exempt tasks score 0) and, per matter, the sorted set
// {enft}:decided:<matter> (pledge id by decision date as YYYYMMDD), so a
// draw reads its matter and period only, not every task. Tasks are a work
// list; the legal record is the finding in the registry slot.
type TaskRepo struct{ st *Store }

// NewTaskRepo returns the task repository over s.
func NewTaskRepo(s *Store) *TaskRepo { return &TaskRepo{st: s} }

const taskTag = "enft"

// taskPutLua stores a task unless one exists. KEYS[1] tasks hash, KEYS[2]
// due zset, KEYS[3] the matter's decided zset; ARGV pledge id, JSON, due
// score, decided score. Returns the stored JSON.
const taskPutLua = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
  return ARGV[2]
end
return redis.call('HGET', KEYS[1], ARGV[1])
`

var taskPut = redis.NewScript(taskPutLua)

// PutTask stores a task (its keys → body) unless the pledge already has
// one; it returns the stored body and whether it is new.
func (r *TaskRepo) PutTask(ctx context.Context, k registry.TaskKeys, body []byte) ([]byte, bool, error) {
	if err := registry.CheckCode("pledge id", k.PledgeID); err != nil {
		return nil, false, err
	}
	if err := registry.CheckCode("matter", k.Matter); err != nil {
		return nil, false, err
	}
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	got, err := taskPut.Run(ctx, r.st.rdb, []string{r.st.key(taskTag, "tasks"), r.st.key(taskTag, "due"),
		r.decidedKey(k.Matter)}, k.PledgeID, body, k.Due, k.Decided).Text()
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
	return r.tasksByScore(ctx, r.st.key(taskTag, "due"), from, to, limit)
}

// TasksDecided returns the bodies of the matter's tasks whose decision
// date lies in [from, to] (YYYYMMDD), earliest first, at most limit.
func (r *TaskRepo) TasksDecided(ctx context.Context, matter string, from, to, limit int64) ([][]byte, error) {
	if err := registry.CheckCode("matter", matter); err != nil {
		return nil, err
	}
	if err := r.indexDecided(ctx); err != nil {
		return nil, err
	}
	return r.tasksByScore(ctx, r.decidedKey(matter), from, to, limit)
}

func (r *TaskRepo) decidedKey(matter string) string { return r.st.key(taskTag, "decided:"+matter) }

// indexDecided builds the per-matter decision-date sets from the tasks
// stored before they existed, once: the marker {enft}:decided-indexed is
// set when every task is indexed. PutTask indexes each new task in its own
// script, so an index run racing new tasks, or running twice, adds only
// what is already true.
func (r *TaskRepo) indexDecided(ctx context.Context) error {
	marker := r.st.key(taskTag, "decided-indexed")
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	n, err := r.st.rdb.Exists(ctx, marker).Result()
	if err != nil || n == 1 {
		return mapErr(err, "no tasks")
	}
	var cursor uint64
	for {
		kv, next, err := r.st.rdb.HScan(ctx, r.st.key(taskTag, "tasks"), cursor, "", 1000).Result()
		if err != nil {
			return mapErr(err, "no tasks")
		}
		pipe := r.st.rdb.Pipeline()
		for i := 0; i+1 < len(kv); i += 2 {
			var t struct {
				Matter  string `json:"matter"`
				Decided string `json:"decided"`
			}
			if err := json.Unmarshal([]byte(kv[i+1]), &t); err != nil {
				return apperr.Wrap(apperr.Internal, err, "a stored task does not decode")
			}
			score, err := strconv.ParseInt(strings.ReplaceAll(t.Decided, "-", ""), 10, 64)
			if err != nil || registry.CheckCode("matter", t.Matter) != nil {
				return apperr.New(apperr.Internal, "stored task %s has no matter or decision date", kv[i])
			}
			pipe.ZAdd(ctx, r.decidedKey(t.Matter), redis.Z{Score: float64(score), Member: kv[i]})
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return mapErr(err, "no tasks")
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	return mapErr(r.st.rdb.Set(ctx, marker, "1", 0).Err(), "no tasks")
}

// tasksByScore reads the tasks a sorted set lists with scores in [from, to].
func (r *TaskRepo) tasksByScore(ctx context.Context, set string, from, to, limit int64) ([][]byte, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	ids, err := r.st.rdb.ZRangeByScore(ctx, set, &redis.ZRangeBy{
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
