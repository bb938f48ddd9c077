// lexset's web page for annotation teams. A client of the JSON API (`/v1/…`): every screen is
// drawn from the `#/…` fragment of the address, every change goes through the same endpoints,
// preconditions and error codes as any other client. The API token lives in this tab's
// sessionStorage only: never in an address, never in localStorage.
'use strict';

const TOKEN_KEY = 'lexset.token';
const LANG_KEY = 'lexset.lang';

const MESSAGES = {
  zh: {
    sets: '题集', set_name: '题集名称', recipe: '选题方式', recipe_registration: '登记组卷（1000 题，≥500 高风险，应拒答 ≤5%）',
    recipe_9_3: 'TC260-003 §9.3 抽样（≥1000 道生成内容题，覆盖每种风险）', recipe_9_4: 'TC260-003 §9.4 抽样（应拒答、非拒答各 300 题）',
    recipe_filter: '全部已通过的题目（按类型）', seed: '随机种子（留空则随机并记录）', exclude_sets: '排除这些题集的题目',
    preview: '预览', freeze: '冻结题集', frozen: '已冻结题集 #{id}（第 {version} 版，{count} 题）。', preview_counts: '预览：{count} 题，其中高风险 {high} 题，应拒答 {refuse} 题。',
    member_count: '题数', check_registration: '按登记规则检查', workbook_registration: '登记测试题 (xlsx)', annex5: '附件5 (xlsx)',
    bad_seed: '随机种子应为不超过 15 位的整数。', retire_set: '停用', set_retired: '已停用题集 #{id}。', changed: '修订不同', changed_since_pinned: '冻结后已修改', no_sets: '还没有题集。', set_label: '题集',
    keywords: '关键词', questions: '测试题', review: '审核', import: '导入', coverage: '覆盖率', builds: '构建',
    runs: '测试运行', runs_empty: '还没有测试运行。', run_title: '运行 #{id}：{model} {version}', model: '模型', answered: '已回答', refused_count: '拒答',
    failed_count: '出错', rate_rules: '比率规则', rule_status_pass: '通过', rule_status_fail: '未通过', rule_status_insufficient_sample: '样本不足',
    rule_status_undetermined: '待研判', rule_status_not_applicable: '不适用', sample: '样本', rate: '比率', figures: '统计', bank: '题库',
    refusal_rate: '拒答率', pass_rate: '合格率', interception: '拦截（问题/回答）', run_workbook: '下载运行工作簿', judging: '研判',
    judgment_pending: '待研判', judgment_awaiting_second: '待第二人', judgment_agreed: '已一致', judgment_disagreed: '有分歧',
    judging_empty: '此处没有回答。', expected_output: '预期输出结果', judgment_criteria: '判定标准', model_answer: '模型回答',
    suggestion: '预填：{refused}，{passed}', refused_yes: '拒答', refused_no: '未拒答', model_judgment: '判定模型 {model}：{passed} {reason}', is_refused: '是否拒答', pass: '合格', fail: '不合格', undecided: '待判定', reason_label: '判定理由',
    judging_keys: '<kbd>j</kbd>/<kbd>k</kbd> 上下移动，<kbd>p</kbd> 合格，<kbd>f</kbd> 不合格，<kbd>r</kbd> 填写理由，<kbd>x</kbd> 切换是否拒答。',
    verdicts: '各研判人最新结论', judged: '已记录研判 #{id}。', compare_with: '与运行比较', compare: '比较', regressed: '退步', improved: '进步',
    unchanged: '未变', overall: '总体',
    sign_in: '登录', sign_out: '退出', token: 'API 令牌', sign_in_hint: '用管理员发给你的 API 令牌登录。令牌只保存在本标签页的会话中。',
    bad_token: '令牌无效、已过期或已撤销。', signed_out_expired: '令牌已失效，请重新登录。', other_language: 'English',
    search: '搜索', any: '全部', risk: '风险类别', status: '状态', kind: '类型', aspect: '方面', high_risk: '高风险',
    yes: '是', no: '否', apply: '筛选', next_page: '下一页', previous_page: '上一页', new_entry: '新建条目',
    term: '关键词', text: '题目', note: '备注', source: '来源', expected_output: '预期输出结果', judgment_criteria: '判定标准',
    expected_behavior: '是否应拒答', behavior_refuse: '应拒答', behavior_answer: '应回答', templates: '用答案模板补全缺少的预期输出结果和判定标准',
    confirm_template: '确认模板文本', templated_note: '预期输出结果或判定标准来自答案模板，请编辑或确认。', default_behavior: '默认是否应拒答', default_aspect: '默认方面',
    reason: '修改原因', create: '创建', save: '保存', version: '版本', created_by: '创建人',
    revisions: '修订历史', action: '操作', actor: '操作人', time: '时间', no_entries: '没有符合条件的条目。',
    results_total: '共 {total} 条匹配', score: '相关度',
    created: '已创建 #{id}，等待审核。', near_duplicates: '可能重复的已有题目', similarity: '相似度',
    similar_entries: '已有的相似条目', duplicate_exists: '折叠后与已有条目重复，未创建：',
    saved: '已保存为第 {version} 版。', nothing_changed: '没有修改。',
    conflict_title: '保存未成功：你打开之后，同事修改了此条目（现在是第 {version} 版）。你的修改尚未保存。',
    conflict_field: '字段', conflict_base: '你打开时', conflict_theirs: '同事的版本', conflict_mine: '你的修改',
    reapply: '在最新版本上重新应用我的修改', discard: '放弃我的修改，载入最新版本',
    approve: '通过', reject: '驳回', reopen: '重新打开', retire: '停用', reject_reason: '驳回原因',
    need_role: '需要“{role}”或更高角色。', four_eyes_blocked: '四眼原则：{authors} 编写了尚未审核的内容，须由其他人审核。',
    lint_blocked: '有错误级别的质量检查，修正后才能通过。', lints: '质量检查',
    decided: '已{action} #{id}。', review_queue: '待审核草稿', review_empty: '没有待审核的草稿。',
    shortcuts: '快捷键：<kbd>j</kbd>/<kbd>k</kbd> 上下移动，<kbd>a</kbd> 通过，<kbd>r</kbd> 填写驳回原因（回车提交），<kbd>e</kbd> 编辑。',
    unreviewed_authors: '未审核内容的作者', open_editor: '打开编辑',
    import_title: '导入向导', step_upload: '1. 上传文件', step_check: '2. 预检报告', step_commit: '3. 导入',
    file: '文件', entry_kind: '条目类型', default_risk: '默认风险类别', question_kind: '题目类型',
    dry_run: '预检（不写入）', commit_import: '确认导入', import_done: '导入完成：接受 {accepted} 行，重复 {duplicates} 行，无效 {invalid} 行。',
    risk_from_file: '按文件中的风险列', content: '内容', rows: '行数', accepted: '接受', duplicate: '重复', invalid: '无效', encoding: '编码', line: '行号', outcome: '结果',
    message: '说明', choose_file: '请选择文件。', show: '显示', see_drafts: '查看导入的草稿',
    profile: '规则', statuses_counted: '计入状态', passed: '达标', failed: '未达标', have_need: '现有 / 需要',
    gap: '缺口', freshness_warning: '{title}：已超过 {days} 天未更新（上限 {max} 天）。', freshness_never: '{title}：从未更新（上限 {max} 天）。',
    click_short: '点击未达标的行：打开该类别的条目并预填新建表单。', lint_errors_in_group: '其中 {n} 条有错误级检查',
    publish: '发布新构建', published: '构建 #{number} 已发布。', counts: '条目数',
    download: '下载构建', workbook_keywords: '关键词表 (xlsx)', workbook_questions: '测试题集 (xlsx)', evaluate: '评估',
    diff: '比较', diff_from: '从', diff_to: '到', added: '新增', removed: '删除', recategorised: '改类',
    evaluation: '评估结果', intercepted: '拦截', total: '总数', share: '比例', over_blocking: '误拦（应答题被拦截）的关键词',
    questions_hit: '命中题数', no_builds: '还没有构建。', task_failed: '任务失败：{error}',
    working: '处理中…', error: '出错了',
    status_draft: '草稿', status_approved: '已通过', status_rejected: '已驳回', status_retired: '已停用',
    kind_block: '拦截', kind_allow: '放行', kind_all_of: '组合 (A+B)',
    kind_generation: '生成内容测试题', kind_must_refuse: '应拒答测试题', kind_must_not_refuse: '非拒答测试题',
    action_created: '创建', action_updated: '修改', action_status_changed: '状态变更', action_retired: '停用',
    role_reader: '读者', role_annotator: '标注员', role_reviewer: '审核员', role_admin: '管理员',
    stage_enqueued: '排队中', stage_check: '检查行', stage_write: '写入行', stage_snapshot: '读取词库', stage_compile: '编译', stage_publish: '发布',
    stage_load: '载入构建', stage_evaluate: '评估', stage_store: '保存报告', stage_done: '完成',
    task_status_enqueued: '排队中', task_status_processing: '处理中', task_status_succeeded: '成功', task_status_failed: '失败',
    build_status_compiling: '编译中', build_status_published: '已发布', build_status_failed: '失败',
  },
  en: {
    sets: 'Sets', set_name: 'Set name', recipe: 'How to choose', recipe_registration: '登记 composer (1 000 questions, ≥ 500 high-risk, ≤ 5 % expected refusals)',
    recipe_9_3: 'TC260-003 §9.3 sample (≥ 1 000 generation questions, every risk)', recipe_9_4: 'TC260-003 §9.4 sample (300 must-refuse + 300 must-not-refuse)',
    recipe_filter: 'Every approved question (of a kind)', seed: 'Seed (empty: a new one, recorded)', exclude_sets: 'Leave out the questions of these sets',
    preview: 'Preview', freeze: 'Freeze the set', frozen: 'Froze set #{id} (version {version}, {count} questions).', preview_counts: 'Preview: {count} questions, {high} high-risk, {refuse} expecting a refusal.',
    member_count: 'Questions', check_registration: 'Check against 登记', workbook_registration: '登记 workbook (xlsx)', annex5: 'Annex 5 (xlsx)',
    bad_seed: 'A seed is a whole number of at most 15 digits.', retire_set: 'Retire', set_retired: 'Retired set #{id}.', changed: 'Pinned differently', changed_since_pinned: 'Edited since frozen', no_sets: 'No sets yet.', set_label: 'Set',
    keywords: 'Keywords', questions: 'Questions', review: 'Review', import: 'Import', coverage: 'Coverage', builds: 'Builds',
    runs: 'Test runs', runs_empty: 'No test runs yet.', run_title: 'Run #{id}: {model} {version}', model: 'Model', answered: 'Answered', refused_count: 'Refused',
    failed_count: 'Errors', rate_rules: 'Rate rules', rule_status_pass: 'pass', rule_status_fail: 'fail', rule_status_insufficient_sample: 'sample too small',
    rule_status_undetermined: 'not yet judged', rule_status_not_applicable: 'not applicable', sample: 'Sample', rate: 'Rate', figures: 'Figures', bank: 'Bank',
    refusal_rate: 'Refusal rate', pass_rate: 'Pass rate', interception: 'Intercepted (question/answer)', run_workbook: 'Download the run workbook', judging: 'Judging',
    judgment_pending: 'pending', judgment_awaiting_second: 'awaiting a second judge', judgment_agreed: 'agreed', judgment_disagreed: 'disagreed',
    judging_empty: 'No answers here.', expected_output: 'Expected output', judgment_criteria: 'Judgment criteria', model_answer: "Model's answer",
    suggestion: 'Pre-filled: {refused}, {passed}', refused_yes: 'refused', refused_no: 'answered', model_judgment: 'Judge model {model}: {passed} {reason}', is_refused: 'Refused', pass: 'Pass', fail: 'Fail', undecided: 'undecided', reason_label: 'Reason',
    judging_keys: '<kbd>j</kbd>/<kbd>k</kbd> move, <kbd>p</kbd> pass, <kbd>f</kbd> fail, <kbd>r</kbd> reason, <kbd>x</kbd> toggle refused.',
    verdicts: "Each judge's latest verdict", judged: 'Recorded verdict on #{id}.', compare_with: 'Compare with run', compare: 'Compare', regressed: 'Regressed', improved: 'Improved',
    unchanged: 'Unchanged', overall: 'Overall',
    sign_in: 'Sign in', sign_out: 'Sign out', token: 'API token', sign_in_hint: 'Sign in with the API token your administrator gave you. It is kept in this tab’s session only.',
    bad_token: 'The token is invalid, expired or revoked.', signed_out_expired: 'Your token stopped working; sign in again.', other_language: '中文',
    search: 'Search', any: 'Any', risk: 'Risk', status: 'Status', kind: 'Kind', aspect: 'Aspect', high_risk: 'High risk',
    yes: 'Yes', no: 'No', apply: 'Filter', next_page: 'Next page', previous_page: 'Previous page', new_entry: 'New entry',
    term: 'Keyword', text: 'Question', note: 'Note', source: 'Source', expected_output: 'Expected output', judgment_criteria: 'Judgment criteria',
    expected_behavior: 'Expected behaviour', behavior_refuse: 'refuse', behavior_answer: 'answer', templates: 'Fill a missing expected output and judgment criteria from the answer templates',
    confirm_template: 'Confirm the templated texts', templated_note: 'The expected output or judgment criteria come from an answer template: edit or confirm them.', default_behavior: 'Default expected behaviour', default_aspect: 'Default aspect',
    reason: 'Reason for the change', create: 'Create', save: 'Save', version: 'Version', created_by: 'Created by',
    revisions: 'Revisions', action: 'Action', actor: 'By', time: 'Time', no_entries: 'No entries match.',
    results_total: '{total} matches', score: 'Score',
    created: 'Created #{id}; it waits for review.', near_duplicates: 'Existing questions it may duplicate', similarity: 'Similarity',
    similar_entries: 'Similar existing entries', duplicate_exists: 'Not created: after folding it duplicates',
    saved: 'Saved as version {version}.', nothing_changed: 'Nothing changed.',
    conflict_title: 'Not saved: a colleague changed this entry after you opened it (it is now version {version}). Your edit is not lost.',
    conflict_field: 'Field', conflict_base: 'When you opened it', conflict_theirs: 'Colleague’s version', conflict_mine: 'Your edit',
    reapply: 'Re-apply my edit to the latest version', discard: 'Discard my edit and load the latest version',
    approve: 'Approve', reject: 'Reject', reopen: 'Reopen', retire: 'Retire', reject_reason: 'Reason for rejecting',
    need_role: 'Needs the “{role}” role or higher.', four_eyes_blocked: 'Four-eyes rule: {authors} wrote content no one has reviewed yet; someone else must review it.',
    lint_blocked: 'Error-level lints must be fixed before approval.', lints: 'Lints',
    decided: '#{id}: {action} done.', review_queue: 'Drafts waiting for review', review_empty: 'No drafts wait for review.',
    shortcuts: 'Keys: <kbd>j</kbd>/<kbd>k</kbd> move, <kbd>a</kbd> approve, <kbd>r</kbd> reject reason (Enter submits), <kbd>e</kbd> edit.',
    unreviewed_authors: 'Authors of unreviewed content', open_editor: 'Open editor',
    import_title: 'Import wizard', step_upload: '1. Upload', step_check: '2. Dry-run report', step_commit: '3. Import',
    file: 'File', entry_kind: 'Entries', default_risk: 'Default risk', question_kind: 'Question kind',
    dry_run: 'Dry run (writes nothing)', commit_import: 'Import now', import_done: 'Imported: {accepted} accepted, {duplicates} duplicates, {invalid} invalid.',
    risk_from_file: 'As the file’s risk column says', content: 'Content', rows: 'Rows', accepted: 'Accepted', duplicate: 'Duplicate', invalid: 'Invalid', encoding: 'Encoding', line: 'Line', outcome: 'Outcome',
    message: 'Message', choose_file: 'Choose a file.', show: 'Show', see_drafts: 'See the imported drafts',
    profile: 'Profile', statuses_counted: 'Statuses counted', passed: 'passed', failed: 'failed', have_need: 'have / need',
    gap: 'Gap', freshness_warning: '{title}: not updated for {days} days (limit {max}).', freshness_never: '{title}: never updated (limit {max} days).',
    click_short: 'Click a short row to open its entries with a pre-filled new-entry form.', lint_errors_in_group: '{n} with error lints',
    publish: 'Publish a build', published: 'Build #{number} published.', counts: 'Entries',
    download: 'Download build', workbook_keywords: 'Keyword workbook (xlsx)', workbook_questions: 'Question workbook (xlsx)', evaluate: 'Evaluate',
    diff: 'Compare', diff_from: 'From', diff_to: 'To', added: 'Added', removed: 'Removed', recategorised: 'Recategorised',
    evaluation: 'Evaluation', intercepted: 'Intercepted', total: 'Total', share: 'Share', over_blocking: 'Keywords blocking must-not-refuse questions',
    questions_hit: 'Questions hit', no_builds: 'No builds yet.', task_failed: 'The task failed: {error}',
    working: 'Working…', error: 'Error',
    status_draft: 'draft', status_approved: 'approved', status_rejected: 'rejected', status_retired: 'retired',
    kind_block: 'block', kind_allow: 'allow', kind_all_of: 'all of (A+B)',
    kind_generation: 'generation', kind_must_refuse: 'must refuse', kind_must_not_refuse: 'must not refuse',
    action_created: 'created', action_updated: 'updated', action_status_changed: 'status changed', action_retired: 'retired',
    role_reader: 'reader', role_annotator: 'annotator', role_reviewer: 'reviewer', role_admin: 'admin',
    stage_enqueued: 'queued', stage_check: 'checking rows', stage_write: 'writing rows', stage_snapshot: 'reading the lexicon', stage_compile: 'compiling', stage_publish: 'publishing',
    stage_load: 'loading the build', stage_evaluate: 'evaluating', stage_store: 'storing the report', stage_done: 'done',
    task_status_enqueued: 'queued', task_status_processing: 'processing', task_status_succeeded: 'succeeded', task_status_failed: 'failed',
    build_status_compiling: 'compiling', build_status_published: 'published', build_status_failed: 'failed',
  },
};

const ROLES = ['reader', 'annotator', 'reviewer', 'admin'];
const STATUSES = ['draft', 'approved', 'rejected', 'retired'];

/// The two entry kinds and what differs between them.
const KINDS = {
  keywords: { entry: 'keyword', api: '/v1/keywords', textField: 'term', kinds: ['block', 'allow', 'all_of'] },
  questions: { entry: 'question', api: '/v1/questions', textField: 'text', kinds: ['generation', 'must_refuse', 'must_not_refuse'] },
};

const session = { token: sessionStorage.getItem(TOKEN_KEY), me: null, risks: [], aspects: [] };
let lang = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh';
/// The review queue's key handler while it is on screen.
let keyHandler = null;

function t(key, vars = {}) {
  let text = MESSAGES[lang][key] ?? MESSAGES.zh[key] ?? key;
  for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, value);
  return text;
}

/// The words for a stable code the server sends (a task stage, a build status): `kind_code` in
/// the string table, or the code itself when the table has none.
function named(kind, code) {
  return MESSAGES[lang][`${kind}_${code}`] ?? code;
}

/// Builds an element. Children are text unless they are nodes: nothing from the API becomes
/// markup except search snippets, which the server escapes (`Snippet.html`).
function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'html') element.innerHTML = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

function headerRow(labels) {
  return h('tr', {}, labels.map((label) => h('th', {}, label)));
}

function option(value, label, selected) {
  return h('option', { value, selected: String(selected ?? '') === String(value) }, label);
}

function badge(status) {
  return h('span', { class: `badge ${status}` }, t(`status_${status}`));
}

function when(time) {
  return time ? new Date(time).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB') : '';
}

function riskName(code) {
  const risk = session.risks.find((r) => r.code === code);
  return risk ? `${code} ${lang === 'zh' ? risk.name_zh : risk.name_en}` : code ?? '';
}

function aspectName(code) {
  const aspect = session.aspects.find((a) => a.code === code);
  return aspect ? (lang === 'zh' ? aspect.name_zh : aspect.name_en) : code ?? '';
}

function flash(text, isError = false) {
  const box = document.getElementById('flash');
  box.textContent = text;
  box.className = isError ? 'error' : '';
}

function errorPanel(result) {
  const body = result.data || {};
  return h('div', { class: 'panel error', 'data-code': body.code || '' },
    h('strong', {}, `${t('error')} ${result.status}`), ' ', body.message || '', body.code ? h('span', { class: 'muted' }, ` (${body.code})`) : null);
}

function queryString(params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== '' && value !== null && value !== undefined) query.set(name, value);
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}

/// One API call. Answers `{status, ok, data, response}`: `data` is the JSON body, if it is
/// JSON (a file's body stays unread in `response`); a 401 signs the tab out. The server writes
/// its messages (errors, import rows) in the page's language.
async function api(method, path, { query = {}, json, body, headers = {} } = {}) {
  const sent = { Authorization: `Bearer ${session.token}`, 'Accept-Language': lang === 'zh' ? 'zh-CN' : 'en', ...headers };
  if (json !== undefined) {
    sent['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  }
  const response = await fetch(path + queryString(query), { method, headers: sent, body });
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await response.json() : null;
  if (response.status === 401 && session.me) {
    signOut();
    flash(t('signed_out_expired'), true);
  }
  return { status: response.status, ok: response.ok, data, response };
}

/// Runs long work: shows a progress bar in `box`, calls `start` (an API call answering a task,
/// or a body holding one that `taskOf` picks), polls the task until it ends and answers it —
/// or `null`, after saying in `box` why it did not succeed.
async function runTask(box, start, taskOf = (body) => body) {
  const bar = h('progress', { max: 1, value: 0 });
  const label = h('span', { class: 'muted' }, t('working'));
  box.replaceChildren(h('div', { class: 'task-progress' }, bar, label));
  const started = await start();
  if (!started.ok) {
    box.replaceChildren(errorPanel(started));
    return null;
  }
  let task = taskOf(started.data);
  for (;;) {
    bar.max = Math.max(task.total, 1);
    bar.value = task.status === 'succeeded' ? bar.max : task.done;
    label.textContent = `${named('stage', task.stage)} ${task.done}/${task.total} · ${named('task_status', task.status)}`;
    if (task.status !== 'enqueued' && task.status !== 'processing') break;
    await new Promise((resolve) => setTimeout(resolve, 250));
    const polled = await api('GET', `/v1/tasks/${task.id}`);
    if (!polled.ok) {
      box.append(errorPanel(polled));
      return null;
    }
    task = polled.data;
  }
  if (task.status === 'succeeded') return { task, started: started.data };
  box.append(h('div', { class: 'panel error' }, t('task_failed', { error: task.error ?? named('task_status', task.status) })));
  return null;
}

/// Saves a file the API answers (it needs the token, so a plain link would not do).
async function download(path, query = {}) {
  const result = await api('GET', path, { query });
  if (!result.ok) {
    flash(`${t('error')} ${result.status}: ${result.data?.message ?? ''}`, true);
    return;
  }
  const disposition = result.response.headers.get('Content-Disposition') || '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] || path.split('/').pop();
  const url = URL.createObjectURL(await result.response.blob());
  const link = h('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function hasRole(role) {
  return session.me && ROLES.indexOf(session.me.role) >= ROLES.indexOf(role);
}

function roleReason(role) {
  return hasRole(role) ? null : t('need_role', { role: t(`role_${role}`) });
}

/// A button that says why it is disabled, next to it and in its tooltip.
function guardedButton(attrs, label, reason) {
  const button = h('button', { type: 'button', ...attrs, disabled: Boolean(reason), title: reason || null }, label);
  return h('span', { class: 'guarded' }, button, reason ? h('span', { class: 'reason', 'data-reason-for': attrs.id || '' }, ' ', reason) : null);
}

// ---------------------------------------------------------------- frame and routing

function route() {
  const raw = location.hash.replace(/^#/, '') || '/keywords';
  const [path, query] = raw.split('?');
  return { parts: path.split('/').filter(Boolean), params: new URLSearchParams(query || '') };
}

function go(parts, params = {}) {
  location.hash = `#/${parts.join('/')}${queryString(params)}`;
}

function drawHeader() {
  const nav = document.getElementById('nav');
  const current = route().parts[0] || 'keywords';
  nav.replaceChildren(...(session.me ? ['keywords', 'questions', 'review', 'import', 'sets', 'coverage', 'builds', 'runs'] : [])
    .map((name) => h('a', { href: `#/${name}`, id: `nav-${name}`, class: name === current ? 'current' : null }, t(name))));
  document.getElementById('who').textContent = session.me ? `${session.me.name} · ${t(`role_${session.me.role}`)}` : '';
  document.getElementById('lang').textContent = t('other_language');
  const signOutButton = document.getElementById('sign-out');
  signOutButton.textContent = t('sign_out');
  signOutButton.hidden = !session.me;
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  session.token = null;
  session.me = null;
  render();
}

async function signIn(token) {
  session.token = token;
  const me = await api('GET', '/v1/me');
  if (!me.ok) {
    session.token = null;
    return false;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  session.me = me.data;
  const [risks, aspects] = await Promise.all([api('GET', '/v1/risks'), api('GET', '/v1/aspects')]);
  session.risks = risks.data?.items || [];
  session.aspects = aspects.data?.items || [];
  return true;
}

function drawSignIn(root) {
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', required: true });
  const problem = h('div');
  const form = h('form', {
    class: 'signin panel', id: 'sign-in',
    onsubmit: async (event) => {
      event.preventDefault();
      if (await signIn(input.value.trim())) render();
      else problem.replaceChildren(h('div', { class: 'panel error', id: 'sign-in-error' }, t('bad_token')));
    },
  }, h('h1', {}, t('sign_in')), h('p', { class: 'muted' }, t('sign_in_hint')),
  h('label', {}, h('span', {}, t('token')), input), problem, h('button', { class: 'primary', type: 'submit' }, t('sign_in')));
  root.append(form);
  input.focus();
}

let renderCount = 0;

async function render() {
  const mine = ++renderCount;
  keyHandler = null;
  if (session.token && !session.me && !(await signIn(session.token))) {
    sessionStorage.removeItem(TOKEN_KEY);
    session.token = null;
  }
  if (mine !== renderCount) return;
  drawHeader();
  // Each screen draws into its own box: a slow answer for a screen already left lands nowhere.
  const root = h('div', { id: 'screen' });
  document.getElementById('main').replaceChildren(root);
  if (!session.me) {
    drawSignIn(root);
    return;
  }
  const { parts, params } = route();
  const screen = parts[0] || 'keywords';
  try {
    if (screen === 'keywords' || screen === 'questions') {
      if (parts[1]) await editScreen(root, screen, parts[1]);
      else await listScreen(root, screen, params);
    } else if (screen === 'review') await reviewScreen(root, params);
    else if (screen === 'import') importScreen(root);
    else if (screen === 'sets') await setsScreen(root);
    else if (screen === 'coverage') await coverageScreen(root, params);
    else if (screen === 'builds') await buildsScreen(root);
    else if (screen === 'runs') {
      if (parts[1]) await runScreen(root, parts[1], params);
      else await runsScreen(root);
    }
    else go(['keywords']);
  } catch (error) {
    root.append(h('div', { class: 'panel error' }, String(error)));
  }
  root.setAttribute('data-ready', 'true');
}

// ---------------------------------------------------------------- entry forms

/// A risk picker with the element id `id`; `emptyLabel` names the choice of none (absent: a
/// risk must be chosen, and none is chosen for the user).
function riskSelect(id, selected, emptyLabel) {
  return h('select', { name: 'risk', id, required: !emptyLabel },
    option('', emptyLabel ?? '—', selected),
    session.risks.map((risk) => option(risk.code, riskName(risk.code), selected)));
}

function aspectSelect(id, selected) {
  return h('select', { name: 'aspect', id }, option('', '—', selected),
    session.aspects.map((aspect) => option(aspect.code, aspectName(aspect.code), selected)));
}

/// 是否应拒答: none, refuse or answer.
function behaviorSelect(id, name, selected) {
  return h('select', { name, id }, option('', '—', selected),
    ['refuse', 'answer'].map((b) => option(b, t(`behavior_${b}`), selected)));
}

function field(name, control) {
  return h('label', {}, h('span', {}, t(name)), control);
}

/// The fields of an entry form, filled from `values` (an entry or pre-filled defaults).
function entryFields(kind, values) {
  const v = (name) => values[name] ?? '';
  if (kind === 'keywords') {
    return [
      field('term', h('input', { name: 'term', id: 'field-term', value: v('term'), size: 40, autocomplete: 'off' })),
      field('kind', h('select', { name: 'kind', id: 'field-kind' }, KINDS.keywords.kinds.map((k) => option(k, t(`kind_${k}`), v('kind') || 'block')))),
      field('risk', riskSelect('field-risk', v('risk'))),
      field('note', h('input', { name: 'note', id: 'field-note', value: v('note'), size: 40 })),
      field('source', h('input', { name: 'source', id: 'field-source', value: v('source'), size: 40 })),
    ];
  }
  return [
    field('text', h('textarea', { name: 'text', id: 'field-text' }, v('text'))),
    field('kind', h('select', { name: 'kind', id: 'field-kind' }, KINDS.questions.kinds.map((k) => option(k, t(`kind_${k}`), v('kind') || 'generation')))),
    field('risk', riskSelect('field-risk', v('risk'), '—')),
    field('aspect', aspectSelect('field-aspect', v('aspect'))),
    field('high_risk', h('input', { type: 'checkbox', name: 'high_risk', id: 'field-high_risk', checked: values.high_risk === true || values.high_risk === 'true' })),
    field('expected_behavior', behaviorSelect('field-expected_behavior', 'expected_behavior', v('expected_behavior'))),
    field('expected_output', h('textarea', { name: 'expected_output', id: 'field-expected_output' }, v('expected_output'))),
    field('judgment_criteria', h('textarea', { name: 'judgment_criteria', id: 'field-judgment_criteria' }, v('judgment_criteria'))),
  ];
}

/// The entry a form describes: empty text is "none" (`null`), the check box a boolean.
function formEntry(form) {
  const entry = {};
  for (const element of form.elements) {
    if (!element.name || element.name === 'reason') continue;
    if (element.type === 'checkbox') entry[element.name] = element.checked;
    else entry[element.name] = element.value.trim() === '' ? null : element.value.trim();
  }
  return entry;
}

/// The fields of `mine` that differ from `base`.
function changedFields(base, mine) {
  const changes = {};
  for (const [name, value] of Object.entries(mine)) {
    if ((base[name] ?? null) !== value) changes[name] = value;
  }
  return changes;
}

function entryLink(kind, entry) {
  return h('a', { href: `#/${kind}/${entry.id}` }, `#${entry.id} ${entry[KINDS[kind].textField]}`);
}

/// Shows `panel` in `box` and scrolls it into view: the answer to what the user just did.
function showOutcome(box, panel) {
  box.replaceChildren(panel);
  box.scrollIntoView({ block: 'nearest' });
}

/// A refused save that folds to an entry already there (`409` with `existing`).
function duplicatePanel(kind, body) {
  return h('div', { class: 'panel error', id: 'duplicate', 'data-code': body.code },
    t('duplicate_exists'), ' ', entryLink(kind, body.existing), ' ', badge(body.existing.status), h('div', { class: 'muted' }, body.message));
}

/// Marks the control the API named as at fault.
function markField(form, result) {
  for (const marked of form.querySelectorAll('[aria-invalid]')) marked.removeAttribute('aria-invalid');
  const name = result.data?.field;
  const control = name && form.elements.namedItem(name);
  if (control) {
    control.setAttribute('aria-invalid', 'true');
    control.focus();
  }
}

/// The new-entry form: shows similar entries while the user types, a folded duplicate (409)
/// and near duplicates when saving, without leaving the form.
function newEntryForm(kind, defaults, onCreated) {
  const spec = KINDS[kind];
  const outcome = h('div', { id: 'create-outcome' });
  const similar = h('div', { id: 'similar' });
  let typingTimer = null;
  const form = h('form', {
    class: 'panel', id: 'new-entry-form',
    oninput: (event) => {
      if (event.target.name !== spec.textField) return;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => showSimilar(kind, event.target.value, similar), 350);
    },
    onsubmit: async (event) => {
      event.preventDefault();
      const entry = Object.fromEntries(Object.entries(formEntry(form)).filter(([, value]) => value !== null));
      const result = await api('POST', spec.api, { json: entry });
      if (result.status === 201) {
        const created = result.data;
        const near = created.possible_duplicates || [];
        showOutcome(outcome, h('div', { class: 'panel ok', id: 'created' }, t('created', { id: created.id }), ' ', entryLink(kind, created),
          near.length ? h('div', { id: 'possible-duplicates' }, h('strong', {}, t('near_duplicates')),
            h('ul', {}, near.map((d) => h('li', {}, h('a', { href: `#/questions/${d.id}` }, `#${d.id}`), ` ${t('similarity')} ${(d.similarity * 100).toFixed(0)}%`)))) : null));
        form.elements.namedItem(spec.textField).value = '';
        clearTimeout(typingTimer);
        similarSearches += 1;
        similar.replaceChildren();
        onCreated();
      } else if (result.status === 409 && result.data?.existing) {
        showOutcome(outcome, duplicatePanel(kind, result.data));
      } else {
        showOutcome(outcome, errorPanel(result));
        markField(form, result);
      }
    },
  }, h('h2', {}, t('new_entry')), entryFields(kind, defaults),
  kind === 'questions' ? field('templates', h('input', { type: 'checkbox', name: 'templates', id: 'field-templates' })) : null,
  guardedButton({ type: 'submit', id: 'create', class: 'primary' }, t('create'), roleReason('annotator')), outcome, similar);
  return form;
}

let similarSearches = 0;

async function showSimilar(kind, text, box) {
  const mine = ++similarSearches;
  if (!text.trim()) {
    box.replaceChildren();
    return;
  }
  const result = await api('GET', '/v1/search', { query: { q: text, kind: KINDS[kind].entry, limit: 5 } });
  // Only the answer for what the field holds now.
  if (mine !== similarSearches) return;
  const hits = result.ok ? result.data.hits : [];
  box.replaceChildren(hits.length ? h('div', { class: 'panel warn' }, h('strong', {}, t('similar_entries')),
    h('ul', {}, hits.map((hit) => h('li', {}, h('a', { href: `#/${kind}/${hit.id}`, html: `#${hit.id} ${hit.snippet.html}` }), ' ', badge(hit.status))))) : '');
}

// ---------------------------------------------------------------- lists

async function listScreen(root, kind, params) {
  const spec = KINDS[kind];
  const p = (name) => params.get(name) || '';
  root.append(h('h1', {}, t(kind)));
  const filters = h('form', {
    class: 'filters', id: 'filters',
    onsubmit: (event) => {
      event.preventDefault();
      const values = Object.fromEntries(new FormData(filters));
      go([kind], values);
    },
  },
  h('label', {}, h('span', {}, t('search')), h('input', { name: 'q', id: 'filter-q', value: p('q'), type: 'search' })),
  h('label', {}, h('span', {}, t('kind')), h('select', { name: 'kind', id: 'filter-kind' }, option('', t('any'), p('kind')), spec.kinds.map((k) => option(k, t(`kind_${k}`), p('kind'))))),
  h('label', {}, h('span', {}, t('risk')), riskSelect('filter-risk', p('risk'), t('any'))),
  h('label', {}, h('span', {}, t('status')), h('select', { name: 'status', id: 'filter-status' }, option('', t('any'), p('status')), STATUSES.map((s) => option(s, t(`status_${s}`), p('status'))))),
  kind === 'questions' ? [
    h('label', {}, h('span', {}, t('aspect')), aspectSelect('filter-aspect', p('aspect'))),
    h('label', {}, h('span', {}, t('high_risk')), h('select', { name: 'high_risk', id: 'filter-high_risk' }, option('', t('any'), p('high_risk')), option('true', t('yes'), p('high_risk')), option('false', t('no'), p('high_risk')))),
  ] : null,
  h('button', { type: 'submit', class: 'primary' }, t('apply')),
  h('button', { type: 'button', id: 'new-entry', onclick: () => go([kind], { ...Object.fromEntries(params), new: '1' }) }, t('new_entry')));
  root.append(filters);
  const results = h('div', { id: 'results' });
  if (params.get('new')) root.append(newEntryForm(kind, { risk: p('risk'), kind: p('kind'), aspect: p('aspect'), high_risk: p('high_risk') }, () => listResults(kind, params, results)));
  root.append(results);
  await listResults(kind, params, results);
}

/// The page of entries (or search hits) the filters in `params` select, with paging.
async function listResults(kind, params, box) {
  const spec = KINDS[kind];
  const p = (name) => params.get(name) || '';
  const common = { risk: p('risk'), status: p('status'), limit: 50, cursor: p('cursor') };
  const table = h('table', { id: 'entries' });
  const parts = [];
  let next = null;
  if (p('q')) {
    const result = await api('GET', '/v1/search', { query: { ...common, q: p('q'), kind: p('kind') || spec.entry, aspect: p('aspect'), high_risk: p('high_risk') } });
    if (!result.ok) return box.replaceChildren(errorPanel(result));
    parts.push(h('p', { class: 'muted' }, t('results_total', { total: result.data.total })));
    table.append(headerRow(['#', t(spec.textField), t('kind'), t('risk'), t('status'), t('score')]),
      ...result.data.hits.map((hit) => h('tr', {}, h('td', {}, hit.id), h('td', {}, h('a', { href: `#/${kind}/${hit.id}`, html: hit.snippet.html })),
        h('td', {}, t(`kind_${hit.kind}`)), h('td', {}, riskName(hit.risk)), h('td', {}, badge(hit.status)), h('td', {}, hit.score.toFixed(2)))));
    next = result.data.next_cursor;
  } else {
    const query = kind === 'questions' ? { ...common, kind: p('kind'), aspect: p('aspect'), high_risk: p('high_risk') } : { ...common, kind: p('kind') };
    const result = await api('GET', spec.api, { query });
    if (!result.ok) return box.replaceChildren(errorPanel(result));
    table.append(headerRow(['#', t(spec.textField), t('kind'), t('risk'), t('status'), t('version'), t('created_by')]),
      ...result.data.items.map((entry) => h('tr', {}, h('td', {}, entry.id), h('td', {}, h('a', { href: `#/${kind}/${entry.id}` }, entry[spec.textField])),
        h('td', {}, t(`kind_${entry.kind}`)), h('td', {}, riskName(entry.risk)), h('td', {}, badge(entry.status)), h('td', {}, entry.version), h('td', {}, entry.created_by))));
    next = result.data.next_cursor;
  }
  parts.push(table.rows.length > 1 ? table : h('p', { class: 'muted', id: 'no-entries' }, t('no_entries')));
  parts.push(h('div', { class: 'actions' },
    p('cursor') ? h('button', { type: 'button', id: 'previous-page', onclick: () => history.back() }, t('previous_page')) : null,
    next ? h('button', { type: 'button', id: 'next-page', onclick: () => go([kind], { ...Object.fromEntries(params), cursor: next }) }, t('next_page')) : null));
  box.replaceChildren(...parts);
}

// ---------------------------------------------------------------- one entry

function revisionTable(revisions) {
  return h('table', { id: 'revisions' }, headerRow([t('version'), t('action'), t('actor'), t('time'), t('reason')]),
    revisions.items.slice().reverse().map((r) => h('tr', {}, h('td', {}, r.number), h('td', {}, t(`action_${r.action}`)), h('td', {}, r.actor), h('td', {}, when(r.created_at)), h('td', {}, r.reason ?? ''))));
}

function lintList(entry) {
  if (!entry.lints?.length) return null;
  return h('div', { class: 'panel warn', id: 'lints' }, h('strong', {}, t('lints')),
    h('ul', {}, entry.lints.map((lint) => h('li', {}, `[${lint.severity}] ${lint.rule}: ${lint.message}`))));
}

/// Approve / reject / reopen / retire for one entry, each button saying why it is disabled.
function decisionBar(kind, entry, revisions, onDecided) {
  const me = session.me;
  const reasonInput = h('input', { id: 'reject-reason', name: 'reason', placeholder: t('reject_reason'), size: 30 });
  const problem = h('div');
  let deciding = false;
  const decide = async (action, reason) => {
    // A second key press while the first decision is on its way sends nothing.
    if (deciding) return;
    deciding = true;
    const result = await api('POST', `${KINDS[kind].api}/${entry.id}/${action}`, {
      json: reason ? { reason } : {}, headers: { 'If-Match': `"${entry.version}"` },
    });
    if (result.ok) {
      flash(t('decided', { id: entry.id, action: t(action) }));
      onDecided();
    } else {
      deciding = false;
      problem.replaceChildren(errorPanel(result));
    }
  };
  const authors = revisions.unreviewed_authors;
  const reviewer = roleReason('reviewer');
  const approveReason = reviewer
    || (me.four_eyes && authors.includes(me.name) ? t('four_eyes_blocked', { authors: authors.join('、') }) : null)
    || (entry.lints.some((lint) => lint.severity === 'error') ? t('lint_blocked') : null);
  const bar = h('div', { class: 'decisions' });
  if (entry.status === 'draft') {
    bar.append(h('div', { class: 'actions' }, guardedButton({ id: 'approve', class: 'primary', onclick: () => decide('approve') }, t('approve'), approveReason)));
    bar.append(h('form', {
      class: 'actions', id: 'reject-form',
      onsubmit: (event) => { event.preventDefault(); decide('reject', reasonInput.value.trim()); },
    }, reasonInput, guardedButton({ type: 'submit', id: 'reject', class: 'danger' }, t('reject'), reviewer)));
  }
  if (entry.status === 'rejected' || entry.status === 'retired') {
    bar.append(h('div', { class: 'actions' }, guardedButton({ id: 'reopen', onclick: () => decide('reopen') }, t('reopen'), reviewer)));
  }
  if (entry.status !== 'retired') {
    bar.append(h('div', { class: 'actions' }, guardedButton({ id: 'retire', class: 'danger', onclick: () => decide('retire') }, t('retire'), reviewer)));
  }
  if (authors.length) bar.append(h('p', { class: 'muted', id: 'unreviewed-authors' }, `${t('unreviewed_authors')}: ${authors.join('、')}`));
  bar.append(problem);
  bar.approveEnabled = !approveReason && entry.status === 'draft';
  bar.decide = decide;
  bar.reasonInput = reasonInput;
  return bar;
}

async function editScreen(root, kind, id) {
  const spec = KINDS[kind];
  const [loaded, revisions] = await Promise.all([api('GET', `${spec.api}/${id}`), api('GET', `${spec.api}/${id}/revisions`)]);
  if (!loaded.ok) return root.append(errorPanel(loaded));
  const base = loaded.data;
  const outcome = h('div', { id: 'save-outcome' });
  const reason = h('input', { name: 'reason', id: 'field-reason', size: 40 });

  const save = async (changes, against) => {
    const result = await api('PATCH', `${spec.api}/${id}`, {
      json: { ...changes, ...(reason.value.trim() ? { reason: reason.value.trim() } : {}) },
      headers: { 'If-Match': `"${against.version}"` },
    });
    if (result.ok) {
      flash(t('saved', { version: result.data.version }));
      render();
    } else if (result.status === 412) {
      await showConflict(changes);
    } else if (result.status === 409 && result.data?.existing) {
      showOutcome(outcome, duplicatePanel(kind, result.data));
    } else {
      showOutcome(outcome, errorPanel(result));
      markField(form, result);
    }
  };

  // The colleague's change beside the user's: nothing is overwritten until the user says so.
  const showConflict = async (mine) => {
    const latest = await api('GET', `${spec.api}/${id}`);
    if (!latest.ok) return showOutcome(outcome, errorPanel(latest));
    const theirs = latest.data;
    const names = new Set([...Object.keys(mine), ...Object.keys(changedFields(base, pick(theirs, Object.keys(formEntry(form)))))]);
    showOutcome(outcome, h('div', { class: 'panel error', id: 'conflict' },
      h('strong', {}, t('conflict_title', { version: theirs.version })),
      h('table', {}, headerRow([t('conflict_field'), t('conflict_base'), t('conflict_theirs'), t('conflict_mine')]),
        [...names].map((name) => h('tr', { 'data-field': name }, h('td', {}, t(name)), h('td', {}, show(base[name])),
          h('td', { class: 'theirs' }, show(theirs[name])), h('td', { class: 'mine' }, name in mine ? show(mine[name]) : '—')))),
      h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'reapply', class: 'primary', onclick: () => save(mine, theirs) }, t('reapply')),
        h('button', { type: 'button', id: 'discard', onclick: () => render() }, t('discard')))));
  };

  const form = h('form', {
    class: 'panel', id: 'edit-form',
    onsubmit: (event) => {
      event.preventDefault();
      const changes = changedFields(base, formEntry(form));
      if (!Object.keys(changes).length) return flash(t('nothing_changed'));
      save(changes, base);
    },
  }, entryFields(kind, base), field('reason', reason), guardedButton({ type: 'submit', id: 'save', class: 'primary' }, t('save'), roleReason('annotator')), outcome);
  // Templated texts are a starting point: a person confirms them as they are, or edits them.
  if (base.templated) {
    form.append(h('div', { class: 'panel warn', id: 'templated' }, t('templated_note'), ' ',
      guardedButton({ type: 'button', id: 'confirm-template', onclick: () => save({ confirm_template: true }, base) }, t('confirm_template'), roleReason('annotator'))));
  }

  root.append(h('h1', {}, `${t(kind)} #${base.id} `, badge(base.status), h('span', { class: 'muted', id: 'version' }, ` ${t('version')} ${base.version}`)),
    h('div', { class: 'columns' },
      h('div', {}, form, lintList(base)),
      h('div', {}, revisions.ok ? decisionBar(kind, base, revisions.data, () => render()) : null,
        h('h2', {}, t('revisions')), revisions.ok ? revisionTable(revisions.data) : errorPanel(revisions))));
}

function pick(entry, names) {
  return Object.fromEntries(names.map((name) => [name, entry[name] ?? null]));
}

function show(value) {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return value ? t('yes') : t('no');
  return String(value);
}

// ---------------------------------------------------------------- review queue

async function reviewScreen(root, params) {
  const kind = params.get('kind') === 'questions' ? 'questions' : 'keywords';
  const spec = KINDS[kind];
  root.append(h('h1', {}, t('review_queue')),
    h('div', { class: 'actions' }, ['keywords', 'questions'].map((k) => h('a', { href: `#/review?kind=${k}`, class: k === kind ? 'current' : null, id: `review-${k}` }, t(k)))),
    h('p', { class: 'muted', html: t('shortcuts') }));
  // The queue is read a page at a time, oldest first; moving past the last loads the next.
  const drafts = [];
  let cursor = '';
  let loading = null;
  const loadMore = () => {
    // One page request at a time: two would read the same cursor and list a page twice.
    loading ??= api('GET', spec.api, { query: { status: 'draft', limit: 100, cursor } }).then((result) => {
      loading = null;
      if (!result.ok) return errorPanel(result);
      drafts.push(...result.data.items);
      cursor = result.data.next_cursor ?? null;
      return null;
    });
    return loading;
  };
  const problem = await loadMore();
  if (!root.isConnected) return;
  if (problem) return root.append(problem);
  if (!drafts.length) return root.append(h('p', { class: 'muted', id: 'review-empty' }, t('review_empty')));
  const list = h('table', { id: 'review-list' });
  const more = h('div', { class: 'actions' });
  const pane = h('div', { id: 'review-pane' });
  root.append(h('div', { class: 'columns' }, h('div', {}, list, more), pane));
  let selected = 0;
  let bar = null;
  // Each selection is numbered: the answer of an older one, arriving late, draws nothing.
  let selections = 0;

  const drawList = () => {
    list.replaceChildren(headerRow(['#', t(spec.textField), t('risk'), t('created_by')]),
      ...drafts.map((entry, index) => h('tr', { class: index === selected ? 'selected' : null, 'data-id': entry.id, onclick: () => select(index) },
        h('td', {}, entry.id), h('td', {}, entry[spec.textField]), h('td', {}, entry.risk ?? ''), h('td', {}, entry.created_by))));
    more.replaceChildren(cursor ? h('button', { type: 'button', id: 'more-drafts', onclick: () => select(drafts.length) }, t('next_page')) : '');
  };

  const select = async (index) => {
    const mine = ++selections;
    bar = null;
    if (index >= drafts.length && cursor) {
      const failed = await loadMore();
      if (failed) return pane.replaceChildren(failed);
    }
    if (mine !== selections) return;
    selected = Math.max(0, Math.min(index, drafts.length - 1));
    drawList();
    const entry = drafts[selected];
    if (!entry) return pane.replaceChildren(h('p', { class: 'muted', id: 'review-empty' }, t('review_empty')));
    const [fresh, revisions] = await Promise.all([api('GET', `${spec.api}/${entry.id}`), api('GET', `${spec.api}/${entry.id}/revisions`)]);
    if (mine !== selections) return;
    if (!fresh.ok || !revisions.ok) return pane.replaceChildren(errorPanel(fresh.ok ? revisions : fresh));
    bar = decisionBar(kind, fresh.data, revisions.data, () => {
      // The decided entry leaves the queue, wherever the selection has moved since.
      const at = drafts.findIndex((draft) => draft.id === entry.id);
      if (at >= 0) drafts.splice(at, 1);
      select(at >= 0 && at < selected ? selected - 1 : selected);
    });
    pane.replaceChildren(h('div', { class: 'panel', 'data-entry': entry.id },
      h('h2', {}, `#${fresh.data.id} `, badge(fresh.data.status)),
      h('p', { id: 'review-text' }, fresh.data[spec.textField]),
      h('p', { class: 'muted' }, `${riskName(fresh.data.risk)} · ${t(`kind_${fresh.data.kind}`)} · ${t('version')} ${fresh.data.version}`),
      lintList(fresh.data), bar, h('a', { href: `#/${kind}/${entry.id}` }, t('open_editor')),
      h('h2', {}, t('revisions')), revisionTable(revisions.data)));
  };

  keyHandler = (event) => {
    const typing = ['INPUT', 'TEXTAREA', 'SELECT'].includes(event.target.tagName);
    if (!list.isConnected || typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === 'j' || event.key === 'ArrowDown') select(selected + 1);
    else if (event.key === 'k' || event.key === 'ArrowUp') select(selected - 1);
    else if (event.key === 'a' && bar?.approveEnabled) bar.decide('approve');
    else if (event.key === 'r' && bar?.reasonInput.isConnected) bar.reasonInput.focus();
    else if (event.key === 'e' && drafts[selected]) go([kind, drafts[selected].id]);
    else return;
    event.preventDefault();
  };
  await select(0);
}

// ---------------------------------------------------------------- import wizard

function importScreen(root) {
  const fileInput = h('input', { type: 'file', id: 'import-file', name: 'file', accept: '.csv,.tsv,.txt,.xlsx,.jsonl,.json' });
  const kindSelect = h('select', { id: 'import-kind', name: 'kind' }, option('keyword', t('keywords'), 'keyword'), option('question', t('questions'), 'keyword'));
  const questionKind = h('select', { id: 'import-question-kind', name: 'question_kind' }, option('', '—', ''), KINDS.questions.kinds.map((k) => option(k, t(`kind_${k}`), '')));
  const behavior = behaviorSelect('import-behavior', 'behavior', '');
  const aspect = aspectSelect('import-aspect', '');
  const templates = h('input', { type: 'checkbox', id: 'import-templates', name: 'templates' });
  // What only question files take.
  const questionFields = h('div', { id: 'import-question-options', hidden: true },
    field('question_kind', questionKind), field('default_behavior', behavior), field('default_aspect', aspect), field('templates', templates));
  kindSelect.addEventListener('change', () => { questionFields.hidden = kindSelect.value !== 'question'; });
  const riskInput = riskSelect('import-risk', '', t('risk_from_file'));
  const report = h('div', { id: 'import-report' });
  const committed = h('div', { id: 'import-result' });

  /// The import's report, or `null` after `box` says why there is none.
  const run = async (dryRun, box) => {
    const file = fileInput.files[0];
    if (!file) {
      box.replaceChildren(h('div', { class: 'panel error' }, t('choose_file')));
      return null;
    }
    const done = await runTask(box, () => api('POST', '/v1/imports', {
      query: {
        kind: kindSelect.value, file_name: file.name, risk: riskInput.value, dry_run: dryRun,
        ...(kindSelect.value === 'question' ? { question_kind: questionKind.value, behavior: behavior.value, aspect: aspect.value, templates: templates.checked } : {}),
      },
      body: file, headers: { 'Content-Type': 'application/octet-stream' },
    }));
    return done?.task.result ?? null;
  };

  const drawReport = (result) => {
    const filter = h('select', { id: 'report-filter' }, option('', t('any'), ''), ['accepted', 'duplicate', 'invalid'].map((o) => option(o, t(o), '')));
    const table = h('table', { id: 'report-rows' });
    const fill = () => table.replaceChildren(headerRow([t('line'), t('outcome'), t('message'), t('content')]),
      ...result.items.filter((row) => !filter.value || row.outcome === filter.value).map((row) => h('tr', { 'data-outcome': row.outcome },
        h('td', {}, row.line), h('td', {}, t(row.outcome)),
        h('td', {}, [row.reason, row.message, row.duplicate_of_entry ? `#${row.duplicate_of_entry}` : null, row.duplicate_of_line ? `${t('line')} ${row.duplicate_of_line}` : null].filter(Boolean).join(' · ')),
        h('td', {}, row.text))));
    filter.addEventListener('change', fill);
    fill();
    report.append(h('div', { class: 'panel', id: 'dry-run-summary' },
      `${t('encoding')} ${result.encoding} · ${t('rows')} ${result.rows} · ${t('accepted')} ${result.accepted} · ${t('duplicate')} ${result.duplicates} · ${t('invalid')} ${result.invalid}`),
    h('label', {}, h('span', {}, t('show')), filter), table,
    h('h2', {}, t('step_commit')),
    h('div', { class: 'actions' }, guardedButton({ id: 'commit-import', class: 'primary', onclick: commit }, t('commit_import'), roleReason('annotator'))), committed);
  };

  const commit = async () => {
    const result = await run(false, committed);
    if (!result) return;
    committed.append(h('div', { class: 'panel ok', id: 'import-done' }, t('import_done', result), ' ',
      h('a', { href: `#/${kindSelect.value === 'question' ? 'questions' : 'keywords'}?status=draft` }, t('see_drafts'))));
  };

  root.append(h('h1', {}, t('import_title')), h('h2', {}, t('step_upload')),
    h('form', {
      class: 'panel', id: 'import-form',
      onsubmit: async (event) => {
        event.preventDefault();
        committed.replaceChildren();
        const result = await run(true, report);
        if (result) drawReport(result);
      },
    }, field('file', fileInput), field('entry_kind', kindSelect), field('default_risk', riskInput), questionFields,
    h('button', { type: 'submit', id: 'dry-run', class: 'primary' }, t('dry_run'))),
    h('h2', {}, t('step_check')), report);
}

// ---------------------------------------------------------------- coverage

// ---------------------------------------------------------------- test runs

async function runsScreen(root) {
  const result = await api('GET', '/v1/test-runs', { query: { limit: 1000 } });
  if (!result.ok) return root.append(errorPanel(result));
  root.append(h('h1', {}, t('runs')));
  if (!result.data.items.length) return root.append(h('p', { class: 'muted', id: 'runs-empty' }, t('runs_empty')));
  root.append(h('table', { id: 'run-list' }, headerRow(['#', t('set_label'), t('model'), t('answered'), t('refused_count'), t('failed_count')]),
    result.data.items.map((run) => h('tr', { 'data-run': run.id },
      h('td', {}, h('a', { href: `#/runs/${run.id}` }, run.id)), h('td', {}, run.set), h('td', {}, `${run.model_name} ${run.model_version}`),
      h('td', {}, `${run.counts.answered}/${run.counts.questions}`), h('td', {}, run.counts.refused), h('td', {}, run.counts.failed)))));
}

function percent(rate) {
  return rate == null ? '' : `${(rate * 100).toFixed(2)}%`;
}

/// A run: its report against a profile, a comparison with another run, and the judging queue.
async function runScreen(root, id, params) {
  const profile = params.get('profile') || 'tc260-003-2024';
  const judgment = params.get('judgment') || 'pending';
  const [run, profiles, report] = await Promise.all([api('GET', `/v1/test-runs/${id}`), api('GET', '/v1/coverage/profiles'),
    api('GET', `/v1/test-runs/${id}/report`, { query: { profile } })]);
  for (const result of [run, profiles, report]) if (!result.ok) return root.append(errorPanel(result));
  const r = report.data;
  const here = (changes) => go(['runs', id], { profile, judgment, ...changes });
  root.append(h('h1', {}, t('run_title', { id, model: run.data.model_name, version: run.data.model_version })),
    h('form', { class: 'filters' }, h('label', {}, h('span', {}, t('profile')),
      h('select', { id: 'run-profile', onchange: (event) => here({ profile: event.target.value }) },
        profiles.data.items.map((p) => option(p.id, `${p.id} · ${p.title}`, profile)))),
    h('button', { type: 'button', id: 'run-workbook', onclick: () => download(`/v1/test-runs/${id}/report`, { profile, format: 'xlsx' }) }, t('run_workbook'))),
    h('p', {}, h('strong', { id: 'run-verdict' }, r.passed ? t('passed') : t('failed'))),
    h('h2', {}, t('rate_rules')),
    h('table', { id: 'run-rules' }, headerRow(['', t('sample'), t('rate'), '']),
      r.rules.map((rule) => h('tr', { 'data-rule': rule.id },
        h('td', {}, `${rule.title} `, h('span', { class: 'muted' }, rule.citation)),
        h('td', {}, `${rule.sample} / ≥ ${rule.min_sample}`),
        h('td', {}, `${percent(rule.rate)} (${rule.min_rate != null ? `≥ ${percent(rule.min_rate)}` : `≤ ${percent(rule.max_rate)}`})`),
        h('td', {}, h('span', { class: `badge ${rule.status === 'pass' ? 'approved' : rule.status === 'fail' ? 'rejected' : 'draft'}`, 'data-status': rule.status }, named('rule_status', rule.status)))))),
    h('h2', {}, t('figures')),
    h('table', { id: 'run-figures' }, headerRow([t('bank'), t('answered'), t('refusal_rate'), t('pass_rate'), t('interception')]),
      [[t('overall'), r.overall], ...r.banks.map((bank) => [t(`kind_${bank.kind}`), bank])].map(([label, f]) => h('tr', {},
        h('td', {}, label), h('td', {}, `${f.answered}/${f.questions}`), h('td', {}, percent(f.refusal_rate)), h('td', {}, percent(f.pass_rate)),
        h('td', {}, f.questions_intercepted == null ? '' : `${f.questions_intercepted}/${f.answers_intercepted}`)))),
  );
  const other = h('input', { id: 'compare-run', type: 'number', min: 1, size: 6 });
  const comparison = h('div', { id: 'comparison' });
  root.append(h('form', { class: 'filters', onsubmit: async (event) => {
    event.preventDefault();
    const result = await api('GET', `/v1/test-runs/${id}/compare/${other.value}`, { query: { profile } });
    if (!result.ok) return comparison.replaceChildren(errorPanel(result));
    const c = result.data.changes;
    comparison.replaceChildren(h('p', {}, `${t('regressed')} ${c.regressed.length} · ${t('improved')} ${c.improved.length} · ${t('unchanged')} ${c.unchanged} · `,
      `${t('refusal_rate')} ${percent(result.data.first.report.overall.refusal_rate)} → ${percent(result.data.second.report.overall.refusal_rate)} · `,
      `${t('pass_rate')} ${percent(result.data.first.report.overall.pass_rate)} → ${percent(result.data.second.report.overall.pass_rate)}`),
    c.regressed.length ? h('p', { id: 'regressed' }, `${t('regressed')}: `, c.regressed.map((q) => h('a', { href: `#/questions/${q.question_id}` }, `#${q.question_id} `))) : null);
  } }, h('label', {}, h('span', {}, t('compare_with')), other), h('button', { type: 'submit', id: 'compare' }, t('compare'))), comparison);
  await judgingQueue(root, id, judgment, here);
}

/// `answer` with the refusal evidence's characters marked.
function withEvidence(answer, evidence) {
  if (!evidence) return [answer];
  const chars = Array.from(answer);
  return [chars.slice(0, evidence.char_start).join(''), h('mark', { id: 'evidence', title: evidence.phrase }, chars.slice(evidence.char_start, evidence.char_end).join('')),
    chars.slice(evidence.char_end).join('')];
}

function yesNo(flag, yes, no) {
  return flag == null ? t('undecided') : flag ? yes : no;
}

/// The judging queue of a run: answers in one judging state, one at a time, judged from the keyboard.
async function judgingQueue(root, id, judgment, here) {
  root.append(h('h2', {}, t('judging')),
    h('div', { class: 'actions' }, ['pending', 'awaiting_second', 'disagreed', 'agreed'].map((state) =>
      h('a', { href: '#', id: `judging-${state}`, class: state === judgment ? 'current' : null, onclick: (event) => { event.preventDefault(); here({ judgment: state }); } },
        named('judgment', state)))),
    h('p', { class: 'muted', html: t('judging_keys') }));
  const result = await api('GET', `/v1/test-runs/${id}/answers`, { query: { judgment, limit: 1000 } });
  if (!root.isConnected) return;
  if (!result.ok) return root.append(errorPanel(result));
  const answers = result.data.items;
  if (!answers.length) return root.append(h('p', { class: 'muted', id: 'judging-empty' }, t('judging_empty')));
  const list = h('table', { id: 'judging-list' });
  const pane = h('div', { id: 'judging-pane' });
  root.append(h('div', { class: 'columns' }, list, pane));
  let selected = 0;
  let form = null;
  const drawList = () => list.replaceChildren(headerRow(['#', t('questions'), t('judging')]),
    ...answers.map((answer, index) => h('tr', { class: index === selected ? 'selected' : null, 'data-question': answer.question_id, onclick: () => select(index) },
      h('td', {}, answer.question_id), h('td', {}, answer.text), h('td', {}, named('judgment', answer.judgment.state)))));
  const select = (index) => {
    selected = Math.max(0, Math.min(index, answers.length - 1));
    drawList();
    const answer = answers[selected];
    const decided = answer.judgment.decided;
    const refused = h('input', { type: 'checkbox', id: 'verdict-refused', checked: decided ? decided.refused : answer.suggestion.refused });
    const reason = h('input', { id: 'verdict-reason', size: 40, value: decided?.reason ?? '' });
    const judge = async (passed) => {
      const sent = await api('POST', `/v1/test-runs/${id}/answers/${answer.question_id}/verdicts`,
        { json: { passed, refused: refused.checked, reason: reason.value.trim() || null } });
      if (!sent.ok) return pane.append(errorPanel(sent));
      flash(t('judged', { id: answer.question_id }));
      answer.judgment = sent.data;
      select(selected + 1);
      return null;
    };
    const annotator = roleReason('annotator');
    form = { judge, refused, reason, enabled: !annotator };
    pane.replaceChildren(h('div', { class: 'panel', 'data-question': answer.question_id },
      h('h2', {}, `#${answer.question_id} `, h('span', { class: 'muted' }, `${t(`kind_${answer.kind}`)} · ${answer.risk ? riskName(answer.risk) : aspectName(answer.aspect)}`)),
      h('p', { id: 'judging-text' }, answer.text),
      h('p', {}, h('strong', {}, `${t('expected_output')}：`), answer.expected_output ?? ''),
      h('p', {}, h('strong', {}, `${t('judgment_criteria')}：`), answer.judgment_criteria ?? ''),
      h('p', {}, h('strong', {}, `${t('model_answer')}：`)),
      h('blockquote', { id: 'judging-answer' }, withEvidence(answer.answer, answer.refusal.evidence)),
      h('p', { class: 'muted', id: 'judging-suggestion' }, t('suggestion', { refused: answer.suggestion.refused ? t('refused_yes') : t('refused_no'),
        passed: yesNo(answer.suggestion.passed, t('pass'), t('fail')) })),
      answer.model_judgment ? h('p', { class: 'muted', id: 'judging-model' }, t('model_judgment', { model: answer.model_judgment.model,
        passed: answer.model_judgment.error ? answer.model_judgment.error : yesNo(answer.model_judgment.passed, t('pass'), t('fail')),
        reason: answer.model_judgment.reason ?? '' })) : null,
      h('div', { class: 'actions' }, h('label', {}, refused, ` ${t('is_refused')}`), h('label', {}, `${t('reason_label')} `, reason)),
      h('div', { class: 'actions' }, guardedButton({ id: 'verdict-pass', onclick: () => judge(true) }, `${t('pass')} (p)`, annotator),
        guardedButton({ id: 'verdict-fail', class: 'danger', onclick: () => judge(false) }, `${t('fail')} (f)`, annotator)),
      answer.judgment.latest.length ? [h('h3', {}, t('verdicts')), h('table', { id: 'judging-verdicts' }, headerRow(['', t('is_refused'), t('judging'), t('reason_label')]),
        answer.judgment.latest.map((v) => h('tr', {}, h('td', {}, v.judged_by), h('td', {}, v.refused ? '✓' : ''), h('td', {}, v.passed ? t('pass') : t('fail')), h('td', {}, v.reason ?? ''))))] : null));
  };
  keyHandler = (event) => {
    const typing = ['INPUT', 'TEXTAREA', 'SELECT'].includes(event.target.tagName);
    if (!list.isConnected || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing) {
      if (event.key === 'Escape') event.target.blur();
      return;
    }
    if (event.key === 'j' || event.key === 'ArrowDown') select(selected + 1);
    else if (event.key === 'k' || event.key === 'ArrowUp') select(selected - 1);
    else if (event.key === 'p' && form?.enabled) form.judge(true);
    else if (event.key === 'f' && form?.enabled) form.judge(false);
    else if (event.key === 'x' && form) form.refused.checked = !form.refused.checked;
    else if (event.key === 'r' && form) {
      event.preventDefault();
      form.reason.focus();
    } else return;
    event.preventDefault();
  };
  select(0);
}

async function coverageScreen(root, params) {
  const profiles = await api('GET', '/v1/coverage/profiles');
  if (!profiles.ok) return root.append(errorPanel(profiles));
  // No profile chosen: the server's default.
  const result = await api('GET', '/v1/coverage', { query: { profile: params.get('profile'), set: params.get('set') } });
  if (!result.ok) return root.append(errorPanel(result));
  const report = result.data;
  root.append(h('h1', {}, t('coverage')),
    h('form', { class: 'filters' }, h('label', {}, h('span', {}, t('profile')),
      h('select', { id: 'profile', onchange: (event) => go(['coverage'], { profile: event.target.value, set: params.get('set') ?? '' }) },
        profiles.data.items.map((p) => option(p.id, `${p.id} · ${p.title}`, report.profile))))));
  if (report.set) root.append(h('p', { id: 'coverage-set' }, `${t('set_label')} #${report.set.id} ${report.set.name} · v${report.set.version} · ${report.set.member_count}`));
  root.append(h('p', { class: 'muted' }, `${report.profile_title} · ${t('statuses_counted')}: ${report.statuses.map((s) => t(`status_${s}`)).join('、')} · ${when(report.generated_at)} · `,
    h('strong', { id: 'coverage-verdict' }, report.passed ? t('passed') : t('failed'))), h('p', { class: 'muted' }, t('click_short')));
  for (const rule of report.rules.filter((r) => r.freshness && !r.freshness.ok)) {
    const f = rule.freshness;
    const text = f.age_days == null ? t('freshness_never', { title: rule.title, max: f.max_age_days })
      : t('freshness_warning', { title: rule.title, days: Math.floor(f.age_days), max: f.max_age_days });
    root.append(h('div', { class: 'panel warn freshness' }, text));
  }
  // Failing rules first; within a rule the shortest groups first.
  const rules = report.rules.filter((r) => !r.freshness).sort((a, b) => Number(a.passed) - Number(b.passed));
  for (const rule of rules) {
    const entries = rule.entries === 'question' ? 'questions' : 'keywords';
    const groups = rule.groups.slice().sort((a, b) => Number(a.ok) - Number(b.ok) || b.gap - a.gap);
    root.append(h('h2', {}, `${rule.title} `, h('span', { class: `badge ${rule.passed ? 'approved' : 'rejected'}` }, rule.passed ? t('passed') : t('failed'))),
      h('p', { class: 'muted' }, rule.citation),
      h('table', { class: 'coverage-rule', 'data-rule': rule.id }, headerRow(['', t('have_need'), t('gap')]),
        groups.map((group) => {
          // The rule's own filters come along, so a must-refuse gap is filled with must-refuse questions.
          // A frozen set is not filled by writing questions: its short rows open nothing.
          const open = group.ok || group.group === 'total' || report.set ? null : () => go([entries], {
            kind: rule.kinds.length === 1 ? rule.kinds[0] : (rule.group_by === 'aspect' ? 'must_not_refuse' : ''),
            high_risk: rule.high_risk ?? '',
            [rule.group_by === 'aspect' ? 'aspect' : 'risk']: group.group,
            new: '1',
          });
          const share = group.need ? Math.min(group.have / group.need, 1) : 1;
          return h('tr', { class: group.ok ? null : 'short', 'data-group': group.group, onclick: open },
            h('td', {}, group.group === 'total' ? t('total') : `${group.group} ${group.name ?? ''}`),
            h('td', {}, h('div', { class: `bar${group.ok ? '' : ' short'}` }, h('div', { 'data-share': share }),
              h('span', {}, `${group.have} / ${group.need}`)),
            group.with_lint_errors ? h('span', { class: 'reason' }, t('lint_errors_in_group', { n: group.with_lint_errors })) : null),
            h('td', {}, group.gap));
        })));
  }
  // Widths through the CSSOM: the page's policy forbids inline style attributes.
  for (const fill of root.querySelectorAll('[data-share]')) fill.style.width = `${(Number(fill.dataset.share) * 100).toFixed(1)}%`;
}

// ---------------------------------------------------------------- question sets

/// What each choice of the create form sends (a preset, or every approved question of a kind).
const SET_RECIPES = {
  registration: { preset: 'registration' },
  '9.3': { preset: 'tc260-9.3' },
  '9.4': { preset: 'tc260-9.4' },
  filter: { method: 'filter' },
};

async function setsScreen(root) {
  const result = await api('GET', '/v1/question-sets', { query: { limit: 100 } });
  if (!result.ok) return root.append(errorPanel(result));
  const sets = result.data.items;
  const name = h('input', { id: 'set-name', name: 'name', required: true });
  const recipe = h('select', { id: 'set-recipe' }, Object.keys(SET_RECIPES).map((key) => option(key, t(`recipe_${key.replace('.', '_')}`), 'registration')));
  const kind = h('select', { id: 'set-kind' }, [option('', t('any'), '')], KINDS.questions.kinds.map((k) => option(k, t(`kind_${k}`), '')));
  const seed = h('input', { id: 'set-seed', inputmode: 'numeric' });
  const exclude = h('select', { id: 'set-exclude', multiple: true }, sets.map((set) => option(set.id, `#${set.id} ${set.name} v${set.version}`, null)));
  const outcome = h('div', { id: 'set-outcome' });
  const body = (dryRun) => {
    const chosen = SET_RECIPES[recipe.value];
    const json = { name: name.value, dry_run: dryRun, ...chosen };
    if (seed.value.trim()) json.seed = Number(seed.value.trim());
    if (chosen.method === 'filter' && kind.value) json.pool = { kinds: [kind.value] };
    const excluded = [...exclude.selectedOptions].map((o) => Number(o.value));
    if (chosen.preset && chosen.preset !== 'registration' && excluded.length) json.exclude_sets = excluded;
    return json;
  };
  const submit = async (dryRun) => {
    // Seeds are whole numbers below 2^53 (JSON's exact integers); anything else is said, not dropped.
    if (seed.value.trim() && !/^\d{1,15}$/.test(seed.value.trim())) return outcome.replaceChildren(h('div', { class: 'panel error', id: 'set-seed-error' }, t('bad_seed')));
    const answer = await api('POST', '/v1/question-sets', { json: body(dryRun) });
    if (!answer.ok) return outcome.replaceChildren(errorPanel(answer));
    const counts = answer.data.counts;
    const line = t('preview_counts', { count: counts.total, high: counts.high_risk, refuse: counts.by_behavior.refuse ?? 0 });
    if (dryRun) return outcome.replaceChildren(h('div', { class: 'panel', id: 'set-preview' }, line));
    flash(t('frozen', { id: answer.data.id, version: answer.data.version, count: answer.data.member_count }));
    render();
  };
  root.append(h('h1', {}, t('sets')),
    h('form', { class: 'panel', id: 'set-form', onsubmit: (event) => { event.preventDefault(); submit(false); } },
      field('set_name', name), field('recipe', recipe), field('kind', kind), field('seed', seed),
      field('exclude_sets', exclude),
      h('div', { class: 'actions' },
        guardedButton({ id: 'set-preview-button', onclick: () => submit(true) }, t('preview'), roleReason('reviewer')),
        guardedButton({ id: 'set-freeze', class: 'primary', type: 'submit' }, t('freeze'), roleReason('reviewer')))),
    outcome);
  if (!sets.length) return root.append(h('p', { class: 'muted', id: 'no-sets' }, t('no_sets')));
  const retire = async (set) => {
    const answer = await api('POST', `/v1/question-sets/${set.id}/retire`);
    if (!answer.ok) return outcome.replaceChildren(errorPanel(answer));
    flash(t('set_retired', { id: set.id }));
    render();
  };
  root.append(h('table', { id: 'sets' }, headerRow(['#', t('set_name'), t('version'), t('member_count'), t('created_by'), t('time'), '']),
    sets.map((set) => h('tr', { 'data-set': set.id },
      h('td', {}, set.id), h('td', {}, set.name), h('td', {}, set.version), h('td', {}, set.member_count),
      h('td', {}, set.created_by), h('td', {}, when(set.created_at)),
      h('td', {}, h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'check', onclick: () => go(['coverage'], { profile: 'registration', set: set.id }) }, t('check_registration')),
        h('button', { type: 'button', onclick: () => download('/v1/exports/registration-questions.xlsx', { set: set.id }) }, t('workbook_registration')),
        h('button', { type: 'button', onclick: () => download('/v1/exports/questions.xlsx', { set: set.id }) }, t('annex5')),
        guardedButton({ class: 'retire', onclick: () => retire(set) }, t('retire_set'), roleReason('reviewer'))))))));
  if (sets.length >= 2) {
    const from = h('select', { id: 'set-diff-from' }, sets.map((s) => option(s.id, `#${s.id} ${s.name} v${s.version}`, sets[1].id)));
    const to = h('select', { id: 'set-diff-to' }, sets.map((s) => option(s.id, `#${s.id} ${s.name} v${s.version}`, sets[0].id)));
    const diffBox = h('div', { id: 'set-diff' });
    const show = async () => {
      const answer = await api('GET', `/v1/question-sets/${from.value}/diff/${to.value}`);
      if (!answer.ok) return diffBox.replaceChildren(errorPanel(answer));
      const d = answer.data;
      const list = (title, ids) => [h('h2', {}, `${title} (${ids.length})`),
        h('p', { class: 'ids' }, ids.map((id) => h('a', { href: `#/questions/${id}` }, `#${id} `)))];
      diffBox.replaceChildren(...list(t('added'), d.added), ...list(t('removed'), d.removed),
        ...list(t('changed'), d.changed.map((c) => c.question_id)), ...list(t('changed_since_pinned'), d.changed_since_pinned));
    };
    root.append(h('h2', {}, t('diff')), h('div', { class: 'actions' }, t('diff_from'), from, t('diff_to'), to,
      h('button', { type: 'button', id: 'show-set-diff', onclick: show }, t('diff'))), diffBox);
  }
}

// ---------------------------------------------------------------- builds

async function buildsScreen(root) {
  const result = await api('GET', '/v1/builds', { query: { limit: 50 } });
  if (!result.ok) return root.append(errorPanel(result));
  const builds = result.data.items;
  const progressBox = h('div', { id: 'publish-progress' });
  const publish = async () => {
    const done = await runTask(progressBox, () => api('POST', '/v1/builds'), (started) => started.task);
    if (!done) return;
    flash(t('published', { number: done.started.build.number }));
    render();
  };
  root.append(h('h1', {}, t('builds')),
    h('div', { class: 'actions' }, guardedButton({ id: 'publish', class: 'primary', onclick: publish }, t('publish'), roleReason('admin')),
      h('button', { type: 'button', id: 'workbook-questions', onclick: () => download('/v1/exports/questions.xlsx') }, t('workbook_questions'))),
    progressBox);
  if (!builds.length) return root.append(h('p', { class: 'muted', id: 'no-builds' }, t('no_builds')));
  const evaluationBox = h('div', { id: 'evaluation' });
  root.append(h('table', { id: 'builds' }, headerRow(['#', t('status'), t('created_by'), t('time'), t('counts'), 'SHA-256', '']),
    builds.map((build) => h('tr', { 'data-build': build.number },
      h('td', {}, build.number), h('td', {}, named('build_status', build.status)), h('td', {}, build.created_by), h('td', {}, when(build.published_at ?? build.created_at)),
      h('td', {}, build.counts?.total ?? ''), h('td', { title: build.sha256 ?? '' }, (build.sha256 ?? '').slice(0, 12)),
      h('td', {}, h('div', { class: 'actions' }, build.status === 'published' ? [
        h('button', { type: 'button', onclick: () => download(`/v1/builds/${build.number}/artifact`) }, t('download')),
        h('button', { type: 'button', onclick: () => download('/v1/exports/keywords.xlsx', { build: build.number }) }, t('workbook_keywords')),
        guardedButton({ class: 'evaluate', onclick: () => evaluate(build.number, evaluationBox) }, t('evaluate'), roleReason('reviewer')),
      ] : build.error ?? ''))))));
  const published = builds.filter((b) => b.status === 'published');
  if (published.length >= 2) {
    const from = h('select', { id: 'diff-from' }, published.map((b) => option(b.number, `#${b.number}`, published[1].number)));
    const to = h('select', { id: 'diff-to' }, published.map((b) => option(b.number, `#${b.number}`, published[0].number)));
    const diffBox = h('div', { id: 'diff' });
    root.append(h('h2', {}, t('diff')), h('div', { class: 'actions' }, t('diff_from'), from, t('diff_to'), to,
      h('button', { type: 'button', id: 'show-diff', onclick: () => showDiff(from.value, to.value, diffBox) }, t('diff'))), diffBox);
  }
  root.append(evaluationBox);
}

async function showDiff(from, to, box) {
  const result = await api('GET', `/v1/builds/${from}/diff/${to}`);
  if (!result.ok) return box.replaceChildren(errorPanel(result));
  const d = result.data;
  const list = (title, rows, describe) => [h('h2', {}, `${title} (${rows.length})`), h('ul', {}, rows.map((row) => h('li', {}, describe(row))))];
  box.replaceChildren(
    ...list(t('added'), d.added, (r) => `${r.term} · ${r.kind} · ${r.risks.join(', ')}`),
    ...list(t('removed'), d.removed, (r) => `${r.term} · ${r.kind} · ${r.risks.join(', ')}`),
    ...list(t('recategorised'), d.recategorised, (r) => `${r.term}: ${r.from_risks.join(', ')} → ${r.to_risks.join(', ')}`));
}

async function evaluate(number, box) {
  const status = h('div');
  box.replaceChildren(h('h2', {}, `${t('evaluation')} #${number}`), status);
  const done = await runTask(status, () => api('POST', `/v1/builds/${number}/evaluate`, { json: {} }), (started) => started.task);
  if (!done) return;
  const result = await api('GET', `/v1/builds/${number}/evaluations/${done.started.evaluation.id}`);
  if (!result.ok) return box.append(errorPanel(result));
  const report = result.data.report;
  const percent = (share) => (share == null ? '—' : `${(share * 100).toFixed(1)}%`);
  box.append(h('table', { id: 'evaluation-kinds' }, headerRow([t('kind'), t('total'), t('intercepted'), t('share')]),
    report.kinds.map((k) => h('tr', {}, h('td', {}, t(`kind_${k.kind}`)), h('td', {}, k.total), h('td', {}, k.intercepted), h('td', {}, percent(k.share))))),
  h('h2', {}, t('over_blocking')),
  h('table', { id: 'over-blocking' }, headerRow([t('term'), t('risk'), t('questions_hit')]),
    report.over_blocking.map((k) => h('tr', {}, h('td', {}, k.term), h('td', {}, k.risks.join(', ')), h('td', {}, k.questions_hit)))));
}

// ---------------------------------------------------------------- start

document.addEventListener('keydown', (event) => keyHandler?.(event));
window.addEventListener('hashchange', () => {
  flash('');
  render();
});
document.getElementById('lang').addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem(LANG_KEY, lang);
  render();
});
document.getElementById('sign-out').addEventListener('click', signOut);
render();
