// ChatML chat template with Qwen2.5-style tool calling, written for Wharf's test models.
//
// Layout of a rendered conversation:
//   <|im_start|>system\n{system}[\n\n# Tools ... <tools>\n{tool json per line}\n</tools> ...]<|im_end|>\n
//   <|im_start|>user\n{content}<|im_end|>\n
//   <|im_start|>assistant[\n{content}][\n<tool_call>\n{"name": N, "arguments": {...}}\n</tool_call>]*<|im_end|>\n
//   <|im_start|>user\n<tool_response>\n{result}\n</tool_response>[...]<|im_end|>\n   (consecutive tool messages)
//   <|im_start|>assistant\n                                                          (add_generation_prompt)
//
// The tool-call wire format is the one Qwen2.5 / Hermes models emit, so llama.cpp's chat
// parser (common/chat.cpp auto-parser) recognises it. Arguments given as a JSON string are
// emitted verbatim; arguments given as an object are serialised with tojson.
#pragma once

namespace wharf::genmodel {

inline constexpr const char* kChatMLToolsTemplate = R"JINJA({%- if messages and messages[0].role == 'system' -%}
    {%- set system_message = messages[0].content -%}
{%- else -%}
    {%- set system_message = '' -%}
{%- endif -%}
{%- if tools -%}
    {{- '<|im_start|>system\n' -}}
    {%- if system_message -%}
        {{- system_message + '\n\n' -}}
    {%- endif -%}
    {{- '# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>' -}}
    {%- for tool in tools -%}
        {{- '\n' -}}
        {{- tool | tojson -}}
    {%- endfor -%}
    {{- '\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n' -}}
{%- elif system_message -%}
    {{- '<|im_start|>system\n' + system_message + '<|im_end|>\n' -}}
{%- endif -%}
{%- for message in messages -%}
    {%- if message.role == 'system' and loop.first -%}
        {#- already rendered above -#}
    {%- elif message.role == 'user' or message.role == 'system' -%}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' -}}
    {%- elif message.role == 'assistant' -%}
        {{- '<|im_start|>assistant' -}}
        {%- if message.content -%}
            {{- '\n' + message.content -}}
        {%- endif -%}
        {%- if message.tool_calls -%}
            {%- for tool_call in message.tool_calls -%}
                {%- if tool_call.function is defined -%}
                    {%- set tool_call = tool_call.function -%}
                {%- endif -%}
                {{- '\n<tool_call>\n{"name": "' + tool_call.name + '", "arguments": ' -}}
                {%- if tool_call.arguments is string -%}
                    {{- tool_call.arguments -}}
                {%- else -%}
                    {{- tool_call.arguments | tojson -}}
                {%- endif -%}
                {{- '}\n</tool_call>' -}}
            {%- endfor -%}
        {%- endif -%}
        {{- '<|im_end|>\n' -}}
    {%- elif message.role == 'tool' -%}
        {%- if loop.first or messages[loop.index0 - 1].role != 'tool' -%}
            {{- '<|im_start|>user' -}}
        {%- endif -%}
        {{- '\n<tool_response>\n' + message.content + '\n</tool_response>' -}}
        {%- if loop.last or messages[loop.index0 + 1].role != 'tool' -%}
            {{- '<|im_end|>\n' -}}
        {%- endif -%}
    {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{- '<|im_start|>assistant\n' -}}
{%- endif -%}
)JINJA";

}  // namespace wharf::genmodel
