"""The class report's own words, in English and Indonesian (``ClassGrade.language`` or ``--language``).

Hint texts are the course's (``ClassGrade.hint_text``), asked in the same language. Numbers are
written as the language writes them: English 1,234.5 and Indonesian 1.234,5 (the CSV files keep
Python's notation, for programs).
"""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    # --- the page
    "title": ("Class report: {course}", "Laporan kelas: {course}"),
    "summary": (
        "{students} students, {assignments} assignments; written {date}.",
        "{students} mahasiswa, {assignments} tugas; ditulis {date}.",
    ),
    "anonymous": (
        "Anonymous edition: no names, no integrity flags, no per-student tables; it can be shown to the class.",
        "Edisi anonim: tanpa nama, tanpa tanda integritas, tanpa tabel per mahasiswa; boleh diperlihatkan kepada kelas.",
    ),
    "contents": ("Contents", "Isi"),
    "files": (
        "Every number on this page is in the CSV files next to it ({tables}); every figure is also a PNG file in {figures}.",
        "Setiap angka di halaman ini ada di berkas CSV di sebelahnya ({tables}); setiap gambar juga berupa berkas PNG di {figures}.",
    ),
    "plain-nbgrader": (
        "Graded by plain nbgrader autograde, without classgrade's run reports: {assignments}. For these, this "
        "report cannot know how long each submission took, which kernels died (nbgrader leaves no score where "
        "its kernel died: those cells count as could not be graded), the statuses, the integrity flags, or "
        "whether the trusted judge decided a test cell (plain nbgrader decides every test cell in the student's "
        "kernel). The errors and named mistakes of failed tests come from the autograded notebooks.",
        "Dinilai dengan nbgrader autograde biasa, tanpa laporan proses classgrade: {assignments}. Untuk tugas "
        "ini, laporan ini tidak dapat mengetahui berapa lama setiap pengumpulan dinilai, kernel mana yang mati "
        "(nbgrader tidak memberi skor bila kernelnya mati: sel-sel itu dihitung sebagai tidak dapat dinilai), "
        "statusnya, tanda integritasnya, atau apakah penilai tepercaya yang memutuskan sebuah sel tes (nbgrader "
        "biasa memutuskan setiap sel tes di dalam kernel mahasiswa). Galat dan kesalahan bernama dari tes yang "
        "gagal diambil dari notebook hasil penilaian otomatis.",
    ),
    "no-submissions": ("No submissions yet.", "Belum ada pengumpulan."),
    # --- section 1: the class at a glance
    "glance": ("The class at a glance", "Kelas secara sekilas"),
    "glance-intro": (
        "Per assignment: the distribution of total scores, and the submissions missing, late and not yet graded by hand.",
        "Per tugas: sebaran skor total, serta pengumpulan yang tidak ada, terlambat, dan belum dinilai manual.",
    ),
    "assignment": ("assignment", "tugas"),
    "due": ("due", "tenggat"),
    "max_score": ("points", "poin"),
    "students": ("students", "mahasiswa"),
    "submitted": ("submitted", "mengumpulkan"),
    "missing": ("missing", "tidak mengumpulkan"),
    "late": ("late", "terlambat"),
    "by_hand": ("to grade by hand", "menunggu dinilai manual"),
    "mean": ("mean", "rata-rata"),
    "median": ("median", "median"),
    "lowest": ("lowest", "terendah"),
    "highest": ("highest", "tertinggi"),
    "graded_by": ("graded by", "dinilai dengan"),
    "score-axis": ("total score (of {max} points)", "skor total (dari {max} poin)"),
    "count-axis": ("submissions", "pengumpulan"),
    "median-line": ("median {value}", "median {value}"),
    "alt-scores": (
        "Histogram of the total scores of the {n} submissions of {assignment}, out of {max} points: median "
        "{median}, lowest {lowest}, highest {highest}; {full} with full marks, {zero} with 0.",
        "Histogram skor total {n} pengumpulan {assignment}, dari {max} poin: median {median}, terendah "
        "{lowest}, tertinggi {highest}; {full} mendapat skor penuh, {zero} mendapat 0.",
    ),
    # --- section 2: per question
    "questions": ("Per question, hardest first", "Per soal, yang tersulit lebih dulu"),
    "questions-intro": (
        "Every graded cell of every notebook: a test cell is one part of a hidden test (the checks it calls are "
        "listed). Hardest first: the smallest share of full marks among the submissions it was decided for.",
        "Setiap sel yang dinilai di setiap notebook: satu sel tes adalah satu bagian tes tersembunyi (pemeriksaan "
        "yang dipanggilnya dicantumkan). Yang tersulit lebih dulu: bagian terkecil skor penuh di antara "
        "pengumpulan yang sudah diputuskan.",
    ),
    "question": ("question", "soal"),
    "kind": ("kind", "jenis"),
    "parts": ("hidden test", "tes tersembunyi"),
    "got": ("got it", "benar"),
    "partly": ("partly", "sebagian"),
    "lost": ("lost it", "salah"),
    "not_run": ("could not be graded", "tidak dapat dinilai"),
    "mean_score": ("mean score", "skor rata-rata"),
    "rank": ("rank", "peringkat"),
    "kind-test": ("test", "tes"),
    "kind-written": ("written answer", "jawaban tertulis"),
    "kind-code": ("code answer", "jawaban kode"),
    "kind-task": ("task", "tugas manual"),
    "alt-questions": (
        "Bars per question of {assignment}, hardest at the top, split into the submissions that got it, partly, "
        "lost it, could not be graded or wait for a hand. Hardest: {hardest}.",
        "Batang per soal {assignment}, yang tersulit di atas, dibagi menjadi pengumpulan yang benar, sebagian, "
        "salah, tidak dapat dinilai, atau menunggu dinilai manual. Tersulit: {hardest}.",
    ),
    "alt-question": ("{question}, {got} of {n} got it", "{question}, {got} dari {n} benar"),
    # --- section 3: mistakes
    "mistakes": ("The class's mistakes", "Kesalahan kelas"),
    "mistakes-intro": (
        "How many students each named mistake was found in, most common first: what the checks recognised in "
        "the failed tests, with the hint the students read.",
        "Berapa mahasiswa yang membuat setiap kesalahan bernama, yang paling sering lebih dulu: yang dikenali "
        "pemeriksaan pada tes yang gagal, beserta petunjuk yang dibaca mahasiswa.",
    ),
    "no-mistakes": (
        "No failed test named a mistake.",
        "Tidak ada tes gagal yang menyebut kesalahan bernama.",
    ),
    "of": ("{count} of {total}", "{count} dari {total}"),
    "hint": ("hint", "petunjuk"),
    "mistake-axis": ("students", "mahasiswa"),
    "alt-mistakes": (
        "Bars of the {shown} most common named mistakes, students per mistake. Most common: {top}.",
        "Batang {shown} kesalahan bernama yang paling sering, mahasiswa per kesalahan. Paling sering: {top}.",
    ),
    "alt-mistake": (
        "[{hint}] in {question} of {assignment}, {count} students",
        "[{hint}] di {question} {assignment}, {count} mahasiswa",
    ),
    # --- section 4: students to look at
    "look": ("Students to look at", "Mahasiswa yang perlu diperhatikan"),
    "look-intro": (
        "Students whose latest score fell at least {points} percentage points below their earlier average, who "
        "missed assignments others submitted, or whose submissions raised integrity flags. Scores in percent.",
        "Mahasiswa yang skor terakhirnya turun sedikitnya {points} poin persentase di bawah rata-rata "
        "sebelumnya, yang tidak mengumpulkan tugas yang dikumpulkan mahasiswa lain, atau yang pengumpulannya "
        "memunculkan tanda integritas. Skor dalam persen.",
    ),
    "look-anonymous": (
        "Left out of the anonymous edition: {count} students would be listed here.",
        "Tidak dimuat di edisi anonim: {count} mahasiswa akan dicantumkan di sini.",
    ),
    "nobody": ("Nobody.", "Tidak ada."),
    "student": ("student", "mahasiswa"),
    "name": ("name", "nama"),
    "trend": ("trend", "tren"),
    "reasons": ("why", "alasan"),
    "reason-falling": ("falling", "menurun"),
    "reason-missing": ("missing", "tidak mengumpulkan"),
    "reason-flagged": ("flagged", "ditandai"),
    "percent-axis": ("score (%)", "skor (%)"),
    "alt-students": (
        "Heat map of the scores in percent of the {n} students to look at (rows) across the assignments (columns); "
        "missing submissions are grey and marked with a cross.",
        "Peta panas skor dalam persen dari {n} mahasiswa yang perlu diperhatikan (baris) pada setiap tugas "
        "(kolom); pengumpulan yang tidak ada berwarna abu-abu dan diberi tanda silang.",
    ),
    "flags": ("Integrity flags (instructor only)", "Tanda integritas (hanya untuk pengajar)"),
    "flags-intro": (
        "What raised each flag, as classgrade's integrity analysis found it. Flags never change a score.",
        "Apa yang memunculkan setiap tanda, seperti ditemukan analisis integritas classgrade. Tanda tidak pernah "
        "mengubah skor.",
    ),
    "no-flags": ("No integrity flags.", "Tidak ada tanda integritas."),
    "code": ("flag", "tanda"),
    "notebook": ("notebook", "notebook"),
    "cell": ("cell", "sel"),
    "line": ("line", "baris"),
    "source": ("found by", "ditemukan oleh"),
    "evidence": ("evidence", "bukti"),
    # --- section 5: grading itself
    "grading": ("Grading itself", "Penilaiannya sendiri"),
    "grading-intro": (
        "Time per submission, kernels that died and limits hit, and who decided each test cell: the trusted judge "
        "(it re-checks, outside the kernel, a cell the kernel passed) or the kernel alone (a cell it failed, or "
        "a check the judge leaves to the kernel).",
        "Waktu per pengumpulan, kernel yang mati dan batas yang tercapai, serta siapa yang memutuskan setiap sel "
        "tes: penilai tepercaya (memeriksa ulang, di luar kernel, sel yang diloloskan kernel) atau kernel saja "
        "(sel yang digagalkannya, atau pemeriksaan yang diserahkan penilai kepada kernel).",
    ),
    "graded": ("graded", "dinilai"),
    "seconds_median": ("median s", "median detik"),
    "seconds_p90": ("90% within s", "90% dalam detik"),
    "seconds_max": ("longest s", "terlama detik"),
    "seconds_total": ("total s", "total detik"),
    "kernel_died": ("kernel died", "kernel mati"),
    "kernel_failed": ("kernel did not start", "kernel tidak mulai"),
    "cell_timeout": ("cell time limit", "batas waktu sel"),
    "notebook_timeout": ("notebook time limit", "batas waktu notebook"),
    "memory_limit": ("memory limit", "batas memori"),
    "grader_error": ("grader error", "galat penilai"),
    "judge_passed": ("judge passed", "lolos penilai"),
    "judge_overruled": ("judge overruled the kernel", "penilai membatalkan kernel"),
    "failed_in_kernel": ("failed in the kernel", "gagal di kernel"),
    "passed_in_kernel": ("passed in the kernel, not judged", "lolos di kernel, tidak dinilai ulang"),
    "did_not_run": ("did not run", "tidak berjalan"),
    "judge-unknown": (
        "The course's checks module could not be asked which checks its judge decides: cells it passed are "
        "counted as passed in the kernel.",
        "Modul pemeriksaan kuliah tidak dapat ditanya pemeriksaan mana yang diputuskan penilainya: sel yang "
        "lolos dihitung sebagai lolos di kernel.",
    ),
    "seconds-axis": ("seconds to grade one submission", "detik untuk menilai satu pengumpulan"),
    "alt-grading": (
        "Box plots of the seconds it took to grade one submission, per assignment graded by classgrade: {details}.",
        "Diagram kotak detik yang diperlukan untuk menilai satu pengumpulan, per tugas yang dinilai classgrade: "
        "{details}.",
    ),
    "alt-grading-one": (
        "{assignment} median {median} s, longest {longest} s",
        "{assignment} median {median} detik, terlama {longest} detik",
    ),
    "incidents": ("Submissions not graded normally", "Pengumpulan yang tidak dinilai secara normal"),
    "status": ("status", "status"),
    "notes": ("notes", "catatan"),
    "none": ("None.", "Tidak ada."),
    "yes": ("yes", "ya"),
}


class Words:
    """The report's words in one language: ``words("late")``, ``words("of", count=3, total=5)``."""

    def __init__(self, language: str):
        if language not in ("en", "id"):
            raise ValueError(f"the class report is written in English (en) or Indonesian (id), not {language!r}")
        self.language = language
        self._column = 0 if language == "en" else 1

    def __call__(self, key: str, **fields) -> str:
        text = WORDS[key][self._column]
        return text.format(**{k: self.number(v) if isinstance(v, (int, float)) else v for k, v in fields.items()})

    def number(self, value, digits: int = 2) -> str:
        """``value`` as this language writes it: integers plainly, others with at most ``digits`` decimals."""
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return self("yes") if value else ""
        if float(value).is_integer():
            text = f"{int(value):,}"
        else:
            text = f"{value:,.{digits}f}".rstrip("0").rstrip(".")
        return text.translate(str.maketrans(",.", ".,")) if self.language == "id" else text
