"""English stopwords removed before encoding.

The list contains function words that carry neither the topic nor the polarity of a
complaint. Negations (`not`, `no`, `nor`, `never`, `n't`, `cannot`, `nothing`,
`none`, `nobody`, `without`) and contrast words (`but`, `however`, `although`,
`though`, `yet`, `except`) are absent on purpose: "not fixed" and "fast but expensive"
lose their meaning without them. Particles that name a telecom state (`off`, `down`,
`out`, `up`, `again`) are absent too, because "service down" and "cut off" are the
complaint itself.

The fragments `ca`, `wo` and `sha` are listed because the tokenizer splits "can't",
"won't" and "shan't" into those stems plus the kept `n't`. The single letters `s`, `m`,
`d`, `t`, `ll`, `re`, `ve` are what remains of "it's", "i'm", "i'd", "i'll", "you're"
and "we've" after the apostrophe is dropped.
"""

from __future__ import annotations

STOPWORDS: frozenset[str] = frozenset(
    """
    a an the and or if then than so as of at by for from in into on onto to with
    about above below over under between through during before after until while
    i me my mine myself we us our ours ourselves you your yours yourself yourselves
    he him his himself she her hers herself it its itself they them their theirs
    themselves this that these those who whom whose which what when where why how
    am is are was were be been being have has had having do does did doing
    will would shall should can could may might must
    s m d t ll re ve ca wo sha
    just also very too quite really here there all any both each few more most other
    some such own same another only once ever
    """.split()
)
